"""`energrid watch`: the grid as a client of the state topics sees it."""

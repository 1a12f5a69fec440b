"""A command's one record and one lifecycle: the record, the ledger, the journal."""

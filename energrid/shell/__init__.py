"""The operator's shell: its commands, views, words, and the answers to mistakes."""

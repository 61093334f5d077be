"""Turns the raw store into the cleaned dataset: postings, skill mentions, weekly demand."""

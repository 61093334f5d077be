"""Collects job postings from public sources into the raw store."""

"""Builds the weekly HTML trend report from the cleaned dataset."""

"""The part detail editor for the selected row, and attachment previews."""

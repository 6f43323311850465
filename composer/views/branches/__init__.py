"""Variants and branches in the window: the branches panel and the commands around it."""

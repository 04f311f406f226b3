"""Placeholder: replaced by the area's real commands."""

import click


@click.command(name="evidence")
def evidence():
    """(chưa có)"""


@click.command(name="stats")
def stats():
    """(chưa có)"""

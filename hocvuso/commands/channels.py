"""Placeholder: replaced by the area's real commands."""

import click


@click.command(name="bot")
def bot():
    """(chưa có)"""

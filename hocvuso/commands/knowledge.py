"""Placeholder: replaced by the area's real commands."""

import click


@click.command(name="ingest")
def ingest():
    """(chưa có)"""


@click.command(name="ask")
def ask():
    """(chưa có)"""


@click.command(name="eval")
def eval_command():
    """(chưa có)"""

"""Placeholder: replaced by the area's real commands."""

import click


@click.command(name="serve")
def serve():
    """(chưa có)"""


@click.command(name="keys")
def keys():
    """(chưa có)"""

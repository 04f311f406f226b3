"""Placeholder: replaced by the area's real commands."""

import click


@click.command(name="chat")
def chat():
    """(chưa có)"""


@click.command(name="quiz")
def quiz():
    """(chưa có)"""

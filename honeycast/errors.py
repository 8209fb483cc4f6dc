"""Errors honeycast reports to its user as one line, with an exit code."""

from __future__ import annotations


class HoneycastError(Exception):
    """A problem with the user's input or environment, worded for the user."""

    exit_code = 1


class InputError(HoneycastError):
    """A log file cannot be read or holds nothing usable."""

    exit_code = 2


class UsageError(HoneycastError):
    """An option has a value honeycast cannot use."""

    exit_code = 2


class NothingNew(HoneycastError):
    """With --append, every line of the logs was counted by an earlier build: the site stays as it was.

    Not a failure: a nightly build on a quiet night, or run twice, has nothing to add.
    """

    exit_code = 0


class OutputError(HoneycastError):
    """The output folder cannot be written as asked."""

    exit_code = 3

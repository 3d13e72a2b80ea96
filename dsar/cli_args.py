"""How a `dsar` command line is read: which commands need the web app, or an app at all.

Read before anything is built, so a command imports only what it uses (start-up, issue #15).
"""
from __future__ import annotations


#: Commands that neither serve a page nor write a message: their app is built without the web
#: part (pages, API, translations, migrations), so they start fast (issue #15). ``jobs run``
#: is among them for the jobs that write no message (``registry.Declared.sends_messages``).
WITHOUT_WEB = (("jobs", "list"), ("jobs", "run"))
#: Commands that use no app at all (they read a file): found and run without building one.
WITHOUT_APP = frozenset({"datamap"})
#: The group's own options that come before the command, and whether each takes a value.
_GLOBAL_OPTIONS = {"-e": True, "--env-file": True, "-A": True, "--app": True, "--debug": False, "--no-debug": False}


def command_args(args: list[str]) -> list[str]:
    """``args`` (after ``dsar``) without the group's own leading options (``--debug``, ``--app X``)."""
    rest = list(args)
    while rest and rest[0].split("=", 1)[0] in _GLOBAL_OPTIONS:
        option = rest.pop(0)
        if _GLOBAL_OPTIONS[option.split("=", 1)[0]] and "=" not in option and rest:
            rest.pop(0)
    return rest


def help_only(args: list[str]) -> bool:
    """Whether the command line ``args`` (after ``dsar``) only asks for help: then no app is built."""
    return not command_args(args) or "--help" in args


def needs_web(args: list[str]) -> bool:
    """Whether the command line ``args`` (after ``dsar``) needs the whole web app."""
    args = command_args(args)
    if help_only(args):
        return False
    if tuple(args[:2]) == ("jobs", "run"):
        return _job_sends_messages(_job_name(args[2:]))
    return tuple(args[:2]) not in WITHOUT_WEB


def _job_name(args: list[str]) -> str | None:
    """NAME in ``dsar jobs run [--tenant SLUG] [--dry-run] NAME``."""
    rest = iter(args)
    for arg in rest:
        if arg == "--tenant":
            next(rest, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _job_sends_messages(name: str | None) -> bool:
    from dsar.jobs.registry import DECLARED  # start-up: only `dsar jobs run` reads the table

    declared = DECLARED.get(name or "")
    return declared is None or declared.sends_messages  # an unknown name: the web app, as before

"""The command line: options in, one call into the core, an exit code out."""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperArgument, TyperCommand, TyperGroup

from .events import EventKind
from .look import ThemeName


def _flags_plain(params: list[Any]) -> list[Any]:
    """Show on/off options without a value placeholder in the help: a flag takes no value."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    return params


class Command(TyperCommand):
    """A command whose usage line names its arguments as the help does (``LOG... OUT``)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        arguments = [param for param in self.get_params(ctx) if isinstance(param, TyperArgument)]
        return ["[OPTIONS]", *(argument.metavar or argument.name or "" for argument in arguments)]

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_plain(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_plain(super().get_params(ctx))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; a mistake in it (an unknown option, a value out of range) is one line on stderr,
        as every other error is, and exit status 2."""
        run = functools.partial(
            super().main, args, prog_name, complete_var, windows_expand_args=windows_expand_args, **extra
        )
        if not standalone_mode:
            return run(standalone_mode=False)
        try:
            result = run(standalone_mode=False)
        except NoArgsIsHelpError as error:  # a command given nothing: its help, as typer shows it
            from typer import rich_utils

            rich_utils.rich_format_error(error)
            sys.exit(error.exit_code)
        except ClickException as error:
            sys.stderr.write(f"honeycast: error: {_one_line(error)}\n")
            sys.exit(error.exit_code)
        except typer.Abort:  # Ctrl-C while the line was read (the commands report their own)
            sys.stderr.write("honeycast: interrupted\n")
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


def _one_line(error: ClickException) -> str:
    """Return a command-line mistake as one line, with where to read how the command is used."""
    message = " ".join(error.format_message().split()).replace("Value error, ", "")
    context = getattr(error, "ctx", None)
    return f"{message} (see {context.command_path} --help)" if context is not None else message


app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="See where SSH brute-force attacks come from: maps, a time-lapse and a web viewer from sshd logs.",
)


def _show_version(shown: bool) -> None:
    if shown:
        typer.echo(f"honeycast {version('honeycast')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print honeycast's version and exit.", callback=_show_version, is_eager=True),
    ] = False,
) -> None:
    pass


INPUT = "What the logs are"
MAPS = "Maps and time-lapse"
PRIVACY = "What the site shows"
RUNNING = "How the build runs"

LogsArg = Annotated[
    list[str],
    typer.Argument(
        help="sshd log files (auth.log, secure, …); `-` reads standard input.", metavar="LOG...", show_default=False
    ),
]
YearOpt = Annotated[
    int | None,
    typer.Option(
        "--year",
        metavar="YEAR",
        rich_help_panel=INPUT,
        help="Year of yearless syslog timestamps [default: the file's modification year].",
        show_default=False,
    ),
]
TzOpt = Annotated[
    str | None,
    typer.Option(
        "--tz",
        metavar="ZONE",
        rich_help_panel=INPUT,
        help="Time zone of timestamps without one, e.g. `Europe/Berlin` [default: this machine's].",
        show_default=False,
    ),
]
GeoOpt = Annotated[
    Path | None,
    typer.Option(
        "--geoip-db",
        rich_help_panel=INPUT,
        help="MMDB database to locate addresses with (GeoLite2, DB-IP, ip-location-db)"
        " [default: the bundled one, or $HONEYCAST_GEOIP_DB].",
        show_default=False,
        dir_okay=False,
    ),
]

AsnOpt = Annotated[
    Path | None,
    typer.Option(
        "--asn-db",
        rich_help_panel=INPUT,
        help="MMDB database to find each address's network with (GeoLite2-ASN, DB-IP ASN Lite)"
        " [default: the bundled one].",
        show_default=False,
        dir_okay=False,
    ),
]


@app.command(
    cls=Command,
    epilog="**Example:** `honeycast build /var/log/auth.log site/ --slice 1h --title 'bastion-1, last night'`",
)
def build(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="One or more log files (`-` for standard input), then the output folder. fail2ban's log, or a"
            " syslog with sshguard's lines, may be among them: their bans are joined with the attacks.",
            metavar="LOG... OUT",
            show_default=False,
        ),
    ],
    slice: Annotated[
        str,
        typer.Option(
            "--slice",
            metavar="LENGTH",
            help="Length of one map's time slice: `10m`, `1h`, `1d`…; `auto` picks it from the span "
            "(a day: 10 min, a week: 1 h, a month: 6 h, longer: 1 day).",
        ),
    ] = "auto",
    geoip_db: GeoOpt = None,
    asn_db: AsnOpt = None,
    year: YearOpt = None,
    tz: TzOpt = None,
    title: Annotated[str, typer.Option("--title", metavar="TEXT", help="Title shown on the maps and the page.")] = (
        "SSH brute-force attempts"
    ),
    size: Annotated[
        str,
        typer.Option("--size", metavar="WxH", rich_help_panel=MAPS, help="Frame size WIDTHxHEIGHT, up to 3840x2160."),
    ] = "1280x720",
    theme: Annotated[
        ThemeName, typer.Option("--theme", rich_help_panel=MAPS, help="Colours of the maps and the page.")
    ] = ThemeName.dark,
    afterglow: Annotated[
        int,
        typer.Option(
            "--afterglow",
            metavar="MINUTES",
            rich_help_panel=MAPS,
            help="Minutes a hit country keeps glowing afterwards (in grey, fading; not a count); 0 turns it off.",
            min=0,
            max=1440,
        ),
    ] = 30,
    fps: Annotated[
        float | None,
        typer.Option(
            "--fps",
            metavar="FPS",
            rich_help_panel=MAPS,
            help="Frames a second of the time-lapse [default: a day plays in about 12 s].",
            show_default=False,
            min=0.1,
            max=60,
        ),
    ] = None,
    frames: Annotated[
        bool,
        typer.Option("--frames/--no-frames", rich_help_panel=MAPS, help="Also write every map as frames/NNNN.png."),
    ] = True,
    gif: Annotated[
        bool,
        typer.Option(
            "--gif",
            rich_help_panel=MAPS,
            help="Also write timelapse.gif (640 px wide, narrower for long spans: fits wikis).",
        ),
    ] = False,
    webm: Annotated[
        bool, typer.Option("--webm", rich_help_panel=MAPS, help="Also write timelapse.webm (VP9).")
    ] = False,
    publish_accepted: Annotated[
        bool,
        typer.Option(
            "--publish-accepted",
            rich_help_panel=PRIVACY,
            help="Show every successful login's address and user on the site.",
        ),
    ] = False,
    show_all_users: Annotated[
        bool,
        typer.Option(
            "--show-all-users", rich_help_panel=PRIVACY, help="Do not mask user names that are accounts on this host."
        ),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", rich_help_panel=RUNNING, help="Stop at input that would be skipped, instead of warning."
        ),
    ] = False,
    anonymize_ips: Annotated[
        bool,
        typer.Option(
            "--anonymize-ips",
            rich_help_panel=PRIVACY,
            help="Cut every published address to its /24 (IPv4) or /48 (IPv6).",
        ),
    ] = False,
    show_internal: Annotated[
        bool,
        typer.Option(
            "--show-internal",
            rich_help_panel=PRIVACY,
            help="Show addresses of your own network (private, loopback, link-local, CGNAT) and internal host names "
            "verbatim, not as their network's name.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            rich_help_panel=RUNNING,
            help="Write into a non-empty folder honeycast did not create (only its own files are replaced).",
        ),
    ] = False,
    append: Annotated[
        bool,
        typer.Option(
            "--append",
            help="Add these logs to the site's history instead of starting a new one: lines of times it already "
            "counted for a host are not counted again (a rotated log read again the next night).",
        ),
    ] = False,
    host: Annotated[
        list[str] | None,
        typer.Option(
            "--host",
            rich_help_panel=INPUT,
            help="Count every line of these logs under this host name (shown on the site), whatever host they "
            "name; `NAME=LOG` for one log (or pattern) only, as often as needed.",
            metavar="NAME[=LOG]",
            show_default=False,
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            rich_help_panel=RUNNING,
            help="Count each input on a Dask cluster: a scheduler's address (`tcp://scheduler:8786`), or `local` "
            "for worker processes on this machine. Needs `pip install 'honeycast[dask]'`.",
            show_default=False,
        ),
    ] = None,
    show_hosts: Annotated[
        bool,
        typer.Option(
            "--show-hosts",
            rich_help_panel=PRIVACY,
            help="Show the host names of the servers as logged; without it each host is shown as a digest of its name.",
        ),
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="Where the site will be published, e.g. `https://you.github.io/honeycast/`: absolute links in what "
            "the build prints, link previews (Open Graph, Twitter card) and an oembed.json for chat and wikis.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only warnings and errors: no progress, no summary.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also print the events read, by kind, and where the time went.")
    ] = False,
) -> None:
    """Build maps, a time-lapse MP4, per-slice JSON and a web viewer from sshd logs."""
    from . import console
    from .config import BuildArguments

    arguments = BuildArguments(
        paths=paths, slice=slice, geoip_db=geoip_db, asn_db=asn_db, year=year, tz=tz, title=title, size=size,
        theme=theme,
        afterglow=afterglow, fps=fps, frames=frames, gif=gif, webm=webm, publish_accepted=publish_accepted,
        show_all_users=show_all_users, anonymize_ips=anonymize_ips, show_internal=show_internal,
        show_hosts=show_hosts, host=host or [], dask=dask, append=append, force=force, base_url=base_url,
    )  # fmt: skip
    console.run_build(arguments, strict=strict, quiet=quiet, verbose=verbose)


@app.command(
    cls=Command,
    epilog="**Example:** `honeycast parse /var/log/auth.log | jq -r 'select(.kind==\"failed\") | .source_ip'`",
)
def parse(
    logs: LogsArg,
    kinds: Annotated[
        str,
        typer.Option(
            "--kinds",
            help="Comma-separated event kinds to print: "
            + ", ".join(f"`{kind.value}`" for kind in EventKind)
            + "; or `known` for every kind but `unknown`, `all` for every sshd line, "
            "`attacks` for `failed`, `invalid_user` and probes.",
        ),
    ] = "known",
    geoip_db: GeoOpt = None,
    asn_db: AsnOpt = None,
    year: YearOpt = None,
    tz: TzOpt = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", rich_help_panel=RUNNING, help="Stop at input that would be skipped, instead of warning."
        ),
    ] = False,
) -> None:
    """Print sshd events as JSON Lines, with what each adds to the counts and its country."""
    from . import console

    console.run_parse(logs, kinds=kinds, geoip_db=geoip_db, asn_db=asn_db, year=year, tz=tz, strict=strict)


def main() -> None:
    app()


@app.command(cls=Command, epilog="**Example:** `honeycast serve site/ --port 8000`, then open http://127.0.0.1:8000/")
def serve(
    out: Annotated[
        Path, typer.Argument(help="A folder written by `honeycast build`.", metavar="OUT", show_default=False)
    ],
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1; 0 picks a free one.", min=0, max=65535)
    ] = 8000,
) -> None:
    """Preview a built site on this machine (127.0.0.1 only) until Ctrl-C."""
    from . import console

    console.run_serve(out, port)

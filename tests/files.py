"""The files tests read: hand-written logs in tests/data, and the demo day."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
SMALL_LOG = DATA / "small-auth.log"
"""A small hand-written day of one host: every test that builds a site quickly builds this."""
DEMO = Path(__file__).parents[1] / "examples" / "demo-auth.log"
DEMO_FAIL2BAN = DEMO.with_name("demo-fail2ban.log")
"""The bundled demo day (tools/make_demo_log.py)."""

from __future__ import annotations

import json
import logging

import pytest

from digest.logs import ContextFilter, JsonFormatter, log_context


def test_json_lines_carry_the_context(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("digest.test")
    caplog.handler.addFilter(ContextFilter())
    with caplog.at_level(logging.INFO), log_context(task_id="t-1"), log_context(feed_id=7):
        logger.warning("feed %s failing for %d days", "x", 3)
    logger.info("outside")
    record = caplog.records[0]
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "feed x failing for 3 days"
    assert line["task_id"] == "t-1" and line["feed_id"] == 7 and line["level"] == "warning"

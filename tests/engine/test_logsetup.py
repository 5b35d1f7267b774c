"""The engine log's handler (`logsetup.RotatingJsonLines`): one format per record, rotation at
`maxBytes` from the size it keeps itself, none for a path that is not a regular file."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from gpt_image_engine.logsetup import JsonLines, RotatingJsonLines


class CountingJsonLines(JsonLines):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def format(self, record: logging.LogRecord) -> str:
        self.calls += 1
        return super().format(record)


def _logger(handler: logging.Handler, name: str) -> logging.Logger:
    log = logging.getLogger(name)
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    return log


def test_each_record_is_formatted_once_and_rotation_keeps_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "engine.log"
    handler = RotatingJsonLines(path, maxBytes=4000, backupCount=3)
    formatter = CountingJsonLines()
    handler.setFormatter(formatter)
    log = _logger(handler, "test.logsetup.rotate")
    try:
        for i in range(300):
            log.info("job.completed ünïcode %d", i, extra={"data": {"job_id": f"job-{i}", "status": "completed"}})
    finally:
        handler.close()
    assert formatter.calls == 300
    files = [path, *(path.with_name(f"engine.log.{n}") for n in (1, 2, 3))]
    assert all(f.is_file() for f in files) and not path.with_name("engine.log.4").exists()
    numbers = []
    for f in files:
        # Every file stays under the limit (a record that would reach it starts the next file).
        assert f.stat().st_size < 4000
        numbers += [int(json.loads(line)["message"].rsplit(" ", 1)[1]) for line in f.read_text().splitlines()]
    # The newest records, each whole, none twice; the kept size matches the file on disk.
    assert sorted(numbers) == list(range(300 - len(numbers), 300))
    assert handler._size == 0 or handler._size == path.stat().st_size


def test_size_is_read_from_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "engine.log"
    path.write_text("x" * 3900 + "\n")
    handler = RotatingJsonLines(path, maxBytes=4000, backupCount=1)
    handler.setFormatter(JsonLines())
    log = _logger(handler, "test.logsetup.existing")
    try:
        log.info("a record of more than a hundred bytes " + "y" * 80)
    finally:
        handler.close()
    assert path.with_name("engine.log.1").read_text().startswith("x" * 3900)
    assert "a record" in path.read_text()


def test_a_path_that_is_not_a_regular_file_never_rotates(tmp_path: Path) -> None:
    handler = RotatingJsonLines(os.devnull, maxBytes=100, backupCount=1)
    handler.setFormatter(JsonLines())
    log = _logger(handler, "test.logsetup.devnull")
    try:
        for i in range(20):
            log.info("line %d %s", i, "z" * 50)
    finally:
        handler.close()
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)
    assert not Path(os.devnull + ".1").exists()

"""The rehearsal's recording Slack API stands in for ``SlackApi``: every method the thread and
follow-up logic calls must accept what the real one accepts, or a rehearsal drops that message."""

from __future__ import annotations

import inspect

import pytest

from tracker.notify.rehearsal import Recorder, _SlackRecorder
from tracker.notify.slack.api import SlackApi
from tracker.notify.slack.blocks import SlackContent


@pytest.mark.parametrize("method", ["post", "update", "batch_posted"])
def test_recording_api_accepts_the_real_apis_parameters(method: str) -> None:
    real = inspect.signature(getattr(SlackApi, method)).parameters
    recording = inspect.signature(getattr(_SlackRecorder, method)).parameters
    assert list(real) == list(recording)
    assert [p.kind for p in real.values()] == [p.kind for p in recording.values()]


def test_a_broadcast_reply_is_recorded_as_shown_in_the_channel_too() -> None:
    recorder = Recorder()
    api = _SlackRecorder("slack:#models", recorder)
    parent = api.post(SlackContent(text="Lab released Family-X", blocks=[]), what="the release message")

    api.post(
        SlackContent(text="Technical report: A [title] (arXiv 2501.00001)", blocks=[]),
        what="the follow-up reply",
        thread_ts=parent["ts"],
        broadcast=True,
    )
    api.post(SlackContent(text="New variant", blocks=[]), what="the variant reply", thread_ts=parent["ts"])

    summaries = [r.summary for r in recorder.received]
    assert summaries[0] == "[thread 1.000000] Lab released Family-X"
    assert summaries[1].startswith("  ↳ reply in thread 1.000000, also sent to the channel: Technical report")
    assert summaries[2] == "  ↳ reply in thread 1.000000: New variant"

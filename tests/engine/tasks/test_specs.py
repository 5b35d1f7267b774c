"""The typed specs (`tasks/specs.py`): validated once at construction with the commands'
coded errors, normalised, stored without secrets, read back equal, and refused (coded,
saying why) when stored by a newer engine or damaged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.tasks import specs
from gpt_image_engine.tasks.specs import (
    ContinueSaveSpec,
    EditSpec,
    ExtractSpec,
    GenerateSpec,
    ImageOptions,
    ImageSource,
    RequestSpec,
    RetrySettings,
    ReuploadSpec,
    TransparentGenerateSpec,
    TransparentOptions,
    VerifySpec,
)
from gpt_image_protocol import validation

SECRET_KEY = "sk-spec-secret-0123456789"
ENV_KEY = "sk-spec-env-secret-9876543210"
CALL = Call(
    provider="openai",
    api_key=SECRET_KEY,
    env_openai_api_key=ENV_KEY,
    openai_api_base="https://user:pw-secret@img.example/v1?api-key=q-secret",
    config_file="/srv/config.json",
)


def every_spec() -> list[specs.Spec]:
    image = ImageOptions(prompt="a red kite", size="2K", quality="high", n=2, compression=80, client_out="k.png")
    return [
        GenerateSpec(image=image, call=CALL, retry=RetrySettings(retries=1, retry_delay_seconds=0.5)),
        EditSpec(
            image=image,
            refs=(ImageSource(artifact_id="job-1/ref-0.png"), ImageSource(url="https://img.example/a.png")),
            mask=ImageSource(artifact_id="job-1/mask.png"),
            input_fidelity="high",
            call=CALL,
        ),
        RequestSpec(body={"model": "gpt-image-2", "prompt": "p"}, request_operation="generate", save_images=True),
        ExtractSpec(
            input=ImageSource(artifact_id="u-1/in.png"),
            transparent=TransparentOptions(method="chroma", profile="icon", threshold=0.2, spill_suppression=0.5),
            client_out="out.png",
        ),
        VerifySpec(input=ImageSource(url="data:image/png;base64,AAAA"), profile="sticker", strict=True),
        TransparentGenerateSpec(
            image=ImageOptions(prompt="a glass"),
            transparent=TransparentOptions(method="dual", material="glow"),
            keep_sources=True,
            call=CALL,
        ),
        ContinueSaveSpec(source_job_id="job-2"),
        ReuploadSpec(source_job_id="job-3"),
    ]


@pytest.mark.parametrize("spec", every_spec(), ids=lambda s: s.OPERATION)
def test_stored_form_reads_back_equal_without_secrets(spec: specs.Spec, tmp_path: Path) -> None:
    specs.save_spec(tmp_path, spec)
    text = (tmp_path / specs.SPEC_FILE).read_text()
    for secret in (SECRET_KEY, ENV_KEY, "pw-secret", "q-secret"):
        assert secret not in text
    stored = json.loads(text)
    assert stored["version"] == specs.SPEC_VERSION and stored["operation"] == spec.OPERATION
    loaded = specs.load_spec(tmp_path)
    assert type(loaded) is type(spec)
    if getattr(spec, "call", None) == CALL:
        # The call comes back without its keys and with its URLs redacted; all else is equal.
        assert loaded.call == Call(  # type: ignore[union-attr]
            provider="openai",
            openai_api_base="https://img.example/v1?api-key=[redacted]",
            config_file="/srv/config.json",
        )
        assert specs.with_call(loaded, CALL) == spec
    else:
        assert loaded == spec


def test_construction_normalises_like_the_commands() -> None:
    image = ImageOptions(prompt="x", size="4k", background="", model="", quality="")
    assert (image.size, image.background, image.model, image.quality) == ("3840x2160", "auto", None, None)
    assert TransparentOptions(method="", profile="").extract_options() == {
        "method": "auto", "profile": "generic", "material": None, "matte_color": None, "strict": False,
    }  # fmt: skip
    assert RequestSpec(body={}, request_operation="", body_file="").request_operation == "responses"
    assert EditSpec(image=image, refs=(ImageSource(url="u"),), mask=ImageSource()).mask is None


def error_of(build: Any) -> AppError:
    with pytest.raises(AppError) as info:
        build()
    return info.value


@pytest.mark.parametrize(
    ("build", "code", "message"),
    [
        (lambda: ImageOptions(prompt="  "), "invalid_command", "--prompt is required and must not be empty."),
        (lambda: ImageOptions(prompt="x", size="100x100"), "invalid_command", None),
        (lambda: ImageOptions(prompt="x", quality="best"), "invalid_command", None),
        (lambda: ImageOptions(prompt="x", n=11), "invalid_command", "--n must be between 1 and 10, got 11."),
        (
            lambda: ImageOptions(prompt="x", partial_images=4),
            "invalid_command",
            "--partial-images must be between 0 and 3.",
        ),
        (lambda: RetrySettings(retries=11), "invalid_argument", "--retries must be between 0 and 10."),
        (lambda: RetrySettings(request_timeout_seconds=0), "invalid_argument", None),
        (
            lambda: EditSpec(image=ImageOptions(prompt="x")),
            "invalid_command",
            "images edit needs at least one --ref-image.",
        ),
        (
            lambda: EditSpec(image=ImageOptions(prompt="x"), refs=(ImageSource(url="u"),), input_fidelity="max"),
            "invalid_command",
            None,
        ),
        (lambda: RequestSpec(body=[1]), "invalid_body_json", "The request body must be a JSON object."),  # type: ignore[arg-type]
        (lambda: RequestSpec(body={}, request_operation="x"), "invalid_command", None),
        (lambda: TransparentOptions(profile="poster"), "invalid_command", None),
        (
            lambda: TransparentOptions(spill_suppression=2.0),
            "invalid_command",
            "--spill-suppression must be between 0 and 1.",
        ),
        (
            lambda: ExtractSpec(transparent=TransparentOptions(method="magic")),
            "invalid_command",
            "--method must be auto, chroma or dual.",
        ),
        (lambda: VerifySpec(), "invalid_argument", "transparent verify needs --input."),
        (lambda: ImageSource(artifact_id="a", url="b"), "ref_image_invalid", None),
    ],
)
def test_bad_input_is_refused_at_construction(build: Any, code: str, message: str | None) -> None:
    err = error_of(build)
    assert err.code == code
    if message is not None:
        assert err.message == message


def test_size_errors_are_the_validators_own() -> None:
    with pytest.raises(AppError) as expected:
        validation.parse_size("100x100")
    assert error_of(lambda: ImageOptions(prompt="x", size="100x100")).message == expected.value.message


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"version": 99, "operation": "generate"}, "version 99"),
        ({"version": 1, "operation": "paint"}, "'paint'"),
        ({"version": 1, "operation": "generate", "image": "not an object"}, "damaged"),
        ({"version": 1, "operation": "edit", "image": {"prompt": "x"}, "refs": 5}, "damaged"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_stored_specs_from_elsewhere_are_refused_saying_why(data: Any, says: str) -> None:
    err = error_of(lambda: specs.from_dict(data))
    assert err.code == "invalid_argument" and says in err.message


def test_each_spec_class_reads_its_own_operation() -> None:
    edit = every_spec()[1]
    assert EditSpec.from_dict(edit.to_dict()) == specs.with_call(edit, Call(**specs.call_to_dict(CALL)))
    err = error_of(lambda: GenerateSpec.from_dict(edit.to_dict()))
    assert err.code == "invalid_argument" and "edit spec, not generate" in err.message


def test_a_stored_spec_is_validated_again() -> None:
    err = error_of(lambda: specs.from_dict({"version": 1, "operation": "generate", "image": {"prompt": ""}}))
    assert err.code == "invalid_command"


def test_load_spec_without_file_and_with_junk(tmp_path: Path) -> None:
    assert specs.load_spec(tmp_path) is None
    (tmp_path / specs.SPEC_FILE).write_text("{not json")
    assert error_of(lambda: specs.load_spec(tmp_path)).code == "invalid_argument"


def test_fill_missing_asks_image_specs_for_n_images_only() -> None:
    generate = every_spec()[0]
    assert specs.with_n(generate, 3).image.n == 3  # type: ignore[attr-defined]
    err = error_of(lambda: specs.with_n(ContinueSaveSpec(source_job_id="j"), 2))
    assert err.code == "invalid_argument" and "jobs resume" in err.message

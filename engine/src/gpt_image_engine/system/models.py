"""The static model catalogue reported by `models list` (§2.2), exactly as upstream."""

from __future__ import annotations

from typing import Any

from gpt_image_engine.providers.base import DEFAULT_CODEX_MODEL, DEFAULT_OPENAI_MODEL

DELEGATED_IMAGE_MODEL = "gpt-image-2"


def _operations() -> list[dict[str, Any]]:
    return [
        {"id": "generate", "command": "images generate", "requires_ref_image": False},
        {"id": "edit", "command": "images edit", "requires_ref_image": True},
    ]


def models_list() -> dict[str, Any]:
    """Payload of `models list` without ok/command: {"providers": {"openai": …, "codex": …}}."""
    explicit = "Pass explicitly when the account exposes this Codex model."
    return {
        "providers": {
            "openai": {
                "default_model": DEFAULT_OPENAI_MODEL,
                "model_presets": [
                    {
                        "id": DEFAULT_OPENAI_MODEL,
                        "default": True,
                        "source": "official_default",
                        "notes": "Official API-key image generation model.",
                    }
                ],
                "operations": _operations(),
                "supports": [
                    "background",
                    "size",
                    "quality",
                    "format",
                    "compression",
                    "n",
                    "moderation",
                    "mask",
                    "input_fidelity",
                ],
            },
            "codex": {
                "default_model": DEFAULT_CODEX_MODEL,
                "model_presets": [
                    {
                        "id": "gpt-5.4",
                        "default": True,
                        "source": "local_preset",
                        "notes": "Validated default for the Codex responses image path.",
                    },
                    {"id": "gpt-5.4-mini", "default": False, "source": "local_preset", "notes": explicit},
                    {"id": "gpt-5.4-pro", "default": False, "source": "local_preset", "notes": explicit},
                ],
                "image_generation_tool": {
                    "type": "image_generation",
                    "delegated_model": DELEGATED_IMAGE_MODEL,
                    "operations": _operations(),
                    "supports": [
                        "background",
                        "size",
                        "quality",
                        "format",
                        "compression",
                        "action",
                        "json_events",
                        "auth_refresh",
                    ],
                },
            },
        }
    }

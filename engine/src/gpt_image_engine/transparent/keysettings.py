"""Chroma-key settings: material presets, the upstream's override rules, and which profiles and
materials are solid or soft matter."""

from __future__ import annotations

from dataclasses import dataclass

from gpt_image_engine.errors import AppError

PRESETS: dict[str, tuple[float, float, float]] = {
    "standard": (28.0, 34.0, 0.85),
    "soft-3d": (60.0, 40.0, 0.20),
    "flat-icon": (32.0, 28.0, 0.75),
    "sticker": (45.0, 38.0, 0.45),
    "glow": (18.0, 62.0, 0.15),
}
MATERIAL_ALIASES = {"soft3d": "soft-3d"}
# Materials whose subjects are solid: interior pixels are forced opaque by the distance ramp.
# Glow and soft-3d sources are expected to hold real translucency, so their interior is un-mixed.
SOLID_MATERIALS = frozenset({"standard", "flat-icon", "sticker"})
# Without --material, the verification profile says what kind of asset is expected (as
# `transparent generate` passes it): these are solid; translucent, glow, shadow and effect assets
# are soft matter; generic is decided from the image (see `looks_soft`).
SOLID_PROFILES = frozenset({"icon", "product", "sticker", "seal"})
SOFT_PROFILES = frozenset({"translucent", "glow", "shadow", "effect"})
TRANSPARENT_ALPHA_MAX = 5


@dataclass(frozen=True)
class ChromaSettings:
    threshold: float
    softness: float
    spill_suppression: float
    material: str | None
    threshold_given: bool = False
    profile: str = "generic"


def normalize_material(material: str | None) -> str | None:
    if material is None:
        return None
    name = MATERIAL_ALIASES.get(material, material)
    if name not in PRESETS:
        raise AppError(
            "invalid_argument",
            "Material must be one of standard, soft-3d, flat-icon, sticker, glow.",
            {"value": material},
        )
    return name


def resolve_settings(
    material: str | None = None,
    threshold: float | None = None,
    softness: float | None = None,
    spill_suppression: float | None = None,
    profile: str = "generic",
) -> ChromaSettings:
    """Preset (or defaults), then each given field replaces its own (upstream section 3.3)."""
    name = normalize_material(material)
    t, s, p = PRESETS[name or "standard"]
    if spill_suppression is not None:
        sp = float(spill_suppression)
        if not (0.0 <= sp <= 1.0):  # NaN fails too
            raise AppError(
                "invalid_argument", "Spill suppression must be between 0 and 1.", {"value": spill_suppression}
            )
        p = sp
    for label, value in (("threshold", threshold), ("softness", softness)):
        if value is not None:
            try:
                float(value)
            except (TypeError, ValueError) as exc:
                raise AppError("invalid_argument", f"{label} must be a number.", {"value": value}) from exc
    return ChromaSettings(
        threshold=float(threshold) if threshold is not None else t,
        softness=float(softness) if softness is not None else s,
        spill_suppression=p,
        material=name,
        threshold_given=threshold is not None,
        profile=profile,
    )


def is_solid(settings: ChromaSettings) -> bool:
    if settings.material is not None:
        return settings.material in SOLID_MATERIALS
    return settings.profile not in SOFT_PROFILES

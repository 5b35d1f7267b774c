"""System commands with no job behind them: `doctor`, `auth inspect`, `models list`, `config test-provider`.

`probe` owns the endpoint reachability check (HTTP HEAD, 5 s, concurrent); `diagnostics`
builds the doctor / auth-inspect / test-provider payloads of §2.2; `models` holds the static
model catalogue. Payloads never carry a secret.
"""

from gpt_image_engine.system.diagnostics import auth_inspect, doctor, test_provider
from gpt_image_engine.system.models import models_list
from gpt_image_engine.system.probe import probe_endpoint, probe_many

__all__ = ["auth_inspect", "doctor", "models_list", "probe_endpoint", "probe_many", "test_provider"]

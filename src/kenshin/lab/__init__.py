"""The test lab: a "virtual hospital edge" in network namespaces (198.18.0.0/15).

``Lab.start(profile)`` builds one network namespace per lab host, links them to the root
namespace through a router namespace, starts real Debian daemons (with generated
configs under a per-lab temporary directory) and the Python emulators of
``kenshin.lab.emulators``, and returns a ``Lab`` whose ``services`` are the ground truth
a scanner should find. ``close()`` stops exactly the processes it started and removes
its namespaces and links. Profiles are data: ``kenshin/lab/profiles/<name>.yaml``.
"""

from kenshin.lab._control import running_labs, start_detached, stop_detached
from kenshin.lab._lab import Lab, is_root, listening_sockets, registered_emulators
from kenshin.lab._model import Firewall, LabError, LabHost, LabService, LabWarning
from kenshin.lab._netns import cleanup_stale
from kenshin.lab._profile import ProfileSpec, load_profile, profile_names

__all__ = [
    "Firewall",
    "Lab",
    "LabError",
    "LabHost",
    "LabService",
    "LabWarning",
    "ProfileSpec",
    "cleanup_stale",
    "is_root",
    "listening_sockets",
    "load_profile",
    "profile_names",
    "registered_emulators",
    "running_labs",
    "start_detached",
    "stop_detached",
]

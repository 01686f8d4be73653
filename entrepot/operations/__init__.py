"""Running a warehouse for years: backups, restores and schema upgrades.

Above `privacy` and `search`: a backup holds the audit anchor and the search
index beside the tables.
"""

from entrepot.operations._backup import backup, read_manifest, restore
from entrepot.operations._upgrade import default_backup, upgrade
from entrepot.operations._vocabulary import upgrade_vocabulary

__all__ = [
    "backup",
    "default_backup",
    "read_manifest",
    "restore",
    "upgrade",
    "upgrade_vocabulary",
]

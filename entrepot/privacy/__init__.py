"""Every rule about identity: keyed pseudonyms, date shifting, de-identification
of text, opt-out, small-count suppression, k-anonymity, access, who owns a cohort
and the audit log.

Other modules call these functions; none re-implements them. Every output
for someone passes the release gate: `authorise` gives a `Decision`
(`_gate`), which narrows, masks, suppresses and audits what leaves.
"""

from entrepot.privacy._access import (
    ACTIONS,
    ROLES,
    AccessModel,
    access_model,
    add_member,
    add_project,
    add_user,
    audit_call,
    audit_login,
    authenticate,
    authorise,
    check_password,
    credentials,
    list_projects,
    list_users,
)
from entrepot.privacy._anchor import ANCHOR_ENV, anchor_path
from entrepot.privacy._audit import (
    AuditQueue,
    audit,
    defer_audit,
    entries,
    prune,
    retention,
    set_retention,
    verify,
)
from entrepot.privacy._audit import head as audit_head
from entrepot.privacy._caller import (
    PASSWORD_ENV,
    USER_ENV,
    Caller,
    identify,
    os_account,
)
from entrepot.privacy._dates import shift_days, shifted
from entrepot.privacy._disclosure import (
    Suppressed,
    mask_count,
    mask_counts,
    mask_fields,
    mask_threshold,
    mask_with_persons,
    masker,
    set_mask_threshold,
    suppress,
    threshold_for,
)
from entrepot.privacy._gate import Decision, Perimeter, Scope
from entrepot.privacy._kanon import generalise, kanon
from entrepot.privacy._keys import (
    KEY_ENV,
    KEY_FILE_ENV,
    SecretKey,
    load_key,
    read_key_file,
)
from entrepot.privacy._merge import (
    Merge,
    check_merges,
    merge_log,
    merge_patients,
    unmerge_patients,
)
from entrepot.privacy._notes import deidentify_notes
from entrepot.privacy._optout import (
    consenting,
    erase_persons,
    on_optout,
    opted_out,
    optout_add,
    optout_list,
    optout_remove,
    optout_withdraw,
    without_opted_out,
)
from entrepot.privacy._ownership import (
    Owner,
    check_cohort_change,
    claim_cohort,
    cohort_owners,
    cohort_visible,
    release_cohort,
)
from entrepot.privacy._pseudonym import person_id, pseudonym, pseudonym_id, visit_id
from entrepot.privacy._release import release_count
from entrepot.privacy._rotation import rotate_key
from entrepot.privacy._sealed import (
    apply_optout_requests,
    pending_optouts,
    publish_optout_key,
    request_optout,
)
from entrepot.privacy._settings import check_key, require_key
from entrepot.privacy._shifting import check_date_shifting, date_shifting
from entrepot.privacy._studies import SeenStudies, grant_study, studies
from entrepot.privacy._tables import person_tables
from entrepot.privacy._throttle import LoginThrottle
from entrepot.privacy._units import (
    MODES,
    add_care_team,
    care_mode_enabled,
    set_care_mode,
    set_project_units,
)
from entrepot.privacy._vault import (
    IDENTITY,
    erase_identities,
    has_identities,
    nir_birthplace,
    read_identities,
    update_identities,
    vault_path,
)
from entrepot.privacy.deid import DeidConfig, Identity, deidentify

__all__ = [
    "MODES",
    "add_care_team",
    "care_mode_enabled",
    "set_care_mode",
    "set_project_units",
    "ACTIONS",
    "IDENTITY",
    "erase_identities",
    "has_identities",
    "nir_birthplace",
    "read_identities",
    "update_identities",
    "vault_path",
    "ANCHOR_ENV",
    "PASSWORD_ENV",
    "USER_ENV",
    "Caller",
    "identify",
    "os_account",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "ROLES",
    "AccessModel",
    "Decision",
    "DeidConfig",
    "Identity",
    "Owner",
    "Perimeter",
    "Scope",
    "SeenStudies",
    "SecretKey",
    "Suppressed",
    "access_model",
    "add_member",
    "add_project",
    "add_user",
    "anchor_path",
    "apply_optout_requests",
    "AuditQueue",
    "audit",
    "audit_call",
    "audit_head",
    "LoginThrottle",
    "audit_login",
    "authenticate",
    "check_password",
    "credentials",
    "claim_cohort",
    "cohort_owners",
    "cohort_visible",
    "authorise",
    "check_cohort_change",
    "check_date_shifting",
    "check_key",
    "check_merges",
    "consenting",
    "date_shifting",
    "defer_audit",
    "deidentify",
    "deidentify_notes",
    "entries",
    "erase_persons",
    "generalise",
    "kanon",
    "list_projects",
    "list_users",
    "load_key",
    "mask_count",
    "mask_counts",
    "mask_fields",
    "mask_threshold",
    "mask_with_persons",
    "masker",
    "Merge",
    "merge_log",
    "merge_patients",
    "on_optout",
    "opted_out",
    "optout_add",
    "optout_list",
    "optout_remove",
    "optout_withdraw",
    "pending_optouts",
    "person_id",
    "person_tables",
    "prune",
    "pseudonym",
    "pseudonym_id",
    "publish_optout_key",
    "read_key_file",
    "release_cohort",
    "release_count",
    "request_optout",
    "require_key",
    "retention",
    "rotate_key",
    "set_mask_threshold",
    "threshold_for",
    "unmerge_patients",
    "set_retention",
    "shift_days",
    "shifted",
    "suppress",
    "verify",
    "visit_id",
    "without_opted_out",
    "grant_study",
    "studies",
]

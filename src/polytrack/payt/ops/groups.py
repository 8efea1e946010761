"""Group/GetByTypeID (spec 3.3): the folders of one type the user may see, plus their
ancestors so the tree stays connected (U-21). The benchmark's cheap PAYT call: one query, on
the hot connection."""

from __future__ import annotations

from polytrack.payt import domain
from polytrack.payt.ops.common import chargeable
from polytrack.payt.ops.schemas import FOLDERS, table
from polytrack.payt.wire import Call, Result, dataset, payt_op


def folder_rows(scope: domain.FolderScope, type_id: int) -> list[dict]:
    rows = []
    for folder_id in sorted(scope.listed):
        folder = scope.folders[folder_id]
        if folder.type_id != type_id:
            continue
        rows.append({
            "GroupID": folder.id,
            "Description": folder.description,
            "ParentID": folder.parent_id or 0,  # a root folder's parent is 0 (U-16)
            "GroupTypeIDC": folder.type_id,
            "TimeStamp": domain.row_version_text(folder.row_version),
        })
    return rows


@payt_op("Group", "GetByTypeID", cacheable=True)
@chargeable
def get_by_type_id(call: Call) -> Result:
    type_id = call.require_int("groupTypeID")
    scope = domain.folder_scope(call.conn, call.caller)
    return Result("dataset", dataset("GroupDataSet", [table(FOLDERS, folder_rows(scope, type_id))], call.dates))

"""Group/GetByTypeID: the folders of one type the user may see, plus their ancestors so the
tree stays connected. The benchmark's cheap PAYT call: one query, on the held connection."""

from __future__ import annotations

from polytrack.payt import domain
from polytrack.payt.datasets import dataset, table
from polytrack.payt.operations.base import Answer, PaytCall, payt_operation
from polytrack.payt.operations.schemas import FOLDERS


def folder_rows(scope: domain.FolderScope, type_id: int) -> list[dict]:
    rows = []
    for folder_id in sorted(scope.listed):
        folder = scope.folders[folder_id]
        if folder.type_id != type_id:
            continue
        rows.append({
            "GroupID": folder.id,
            "Description": folder.description,
            "ParentID": folder.parent_id or 0,  # a root folder's parent is 0
            "GroupTypeIDC": folder.type_id,
            "TimeStamp": domain.row_version_text(folder.row_version),
        })
    return rows


@payt_operation("Group/GetByTypeID", cacheable=True, charged=True)
def get_by_type_id(call: PaytCall) -> Answer:
    type_id = call.require_int("groupTypeID")
    scope = domain.folder_scope(call.db, call.user)
    return Answer("dataset", dataset("GroupDataSet", [table(FOLDERS, folder_rows(scope, type_id))], call.dates))

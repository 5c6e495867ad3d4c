"""Systems Manager: documents (one shared with a named account, one public) and
parameters (a secret as SecureString, a secret as plain String)."""

import json

CONTENT = json.dumps({
    "schemaVersion": "2.2",
    "description": "Prints the date",
    "mainSteps": [{"action": "aws:runShellScript", "name": "date", "inputs": {"runCommand": ["date"]}}],
})


def seed(client, regions, account):
    for region in regions:
        ssm = client("ssm", region)
        ssm.create_document(Name="good-document", Content=CONTENT, DocumentType="Command", DocumentFormat="JSON")
        ssm.modify_document_permission(Name="good-document", PermissionType="Share", AccountIdsToAdd=["111122223333"])
        ssm.create_document(Name="bad-document-public", Content=CONTENT, DocumentType="Command", DocumentFormat="JSON")
        ssm.modify_document_permission(Name="bad-document-public", PermissionType="Share", AccountIdsToAdd=["all"])
        ssm.put_parameter(Name="good-db-password", Value="s3cr3t-value", Type="SecureString")
        ssm.put_parameter(Name="good-db-host", Value="db.internal", Type="String")
        ssm.put_parameter(Name="bad-db-password", Value="s3cr3t-value", Type="String")

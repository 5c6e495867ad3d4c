"""AWS Backup: per region, a vault without Vault Lock (whose access policy, served by the
test's stub, lets anyone delete recovery points) and a locked vault with no policy, both
under the customer managed alias/good-key; a backup plan in the first region only."""


def seed(client, regions, account):
    for i, r in enumerate(regions):
        key = client("kms", r).describe_key(KeyId="alias/good-key")["KeyMetadata"]["Arn"]
        backup = client("backup", r)
        backup.create_backup_vault(BackupVaultName="bad-vault", EncryptionKeyArn=key)
        backup.create_backup_vault(BackupVaultName="good-vault", EncryptionKeyArn=key)
        backup.put_backup_vault_lock_configuration(
            BackupVaultName="good-vault", MinRetentionDays=7, MaxRetentionDays=365
        )
        if i == 0:
            backup.create_backup_plan(
                BackupPlan={
                    "BackupPlanName": "good-plan",
                    "Rules": [
                        {
                            "RuleName": "daily",
                            "TargetBackupVaultName": "good-vault",
                            "ScheduleExpression": "cron(0 5 * * ? *)",
                            "Lifecycle": {"DeleteAfterDays": 35},
                        }
                    ],
                }
            )

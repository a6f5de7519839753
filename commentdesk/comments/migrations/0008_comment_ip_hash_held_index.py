"""A partial index of the comments that still hold an IP hash, for the retention
task (commentdesk.privacy.retention): once old hashes are cleared it holds only
recent comments, so each run reads little. Building it reads the table once: on a
large PostgreSQL installation run this migration in a quiet hour."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('comments', '0007_comment_status_removed'),
        ('sites', '0005_site_retention_days'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(condition=models.Q(('ip_hash', ''), _negated=True), fields=['site', 'created_at'], name='comment_ip_hash_held'),
        ),
    ]

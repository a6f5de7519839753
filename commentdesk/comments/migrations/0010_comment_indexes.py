"""Cheaper writes to comments.

- The single-column indexes on ``site``, ``thread`` and ``commenter`` go: the
  composite indexes ``comment_queue``, ``comment_published`` and
  ``comment_commenter_status`` start with those columns and serve the same
  lookups.
- ``comment_ip_hash_held`` becomes (site, ip_hash, created_at): triage's burst
  count reads one address's recent comments instead of every recent comment.

Dropping and building indexes reads the table once: on a large PostgreSQL
installation run this migration in a quiet hour.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('comments', '0009_commenter_status_index'),
        ('sites', '0005_site_retention_days'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='comment',
            name='comment_ip_hash_held',
        ),
        migrations.AlterField(
            model_name='comment',
            name='commenter',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='comments.commenter'),
        ),
        migrations.AlterField(
            model_name='comment',
            name='site',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='sites.site'),
        ),
        migrations.AlterField(
            model_name='comment',
            name='thread',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='comments.thread'),
        ),
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(condition=models.Q(('ip_hash', ''), _negated=True), fields=['site', 'ip_hash', 'created_at'], name='comment_ip_hash_held'),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("buergerchat", "0009_department_sentence_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="thumbnail_name",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="attachment",
            name="thumbnail_width",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="attachment",
            name="thumbnail_height",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True),
        ),
    ]

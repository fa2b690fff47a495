"""The threshold, distance and on/off of special-topic reports move to the bureau's catalog.AlertRule.

One rule per bureau now decides whom a quake concerns (catalog.arrival). Each app moves its
own settings there; the two merge whichever runs first: where both actions were on, the
lower threshold and the wider distance win, so no bureau loses an alert it had (distances
are capped at the rule's 500 km). A bureau without settings of one app keeps that app's old
default: provinces acted at M3.0 inside their jurisdiction, national units not at all.
"""

from decimal import Decimal

from django.db import migrations

FLAG = "topic_report"
OTHER = "emergency_meeting"


def _other_has_settings(apps, bureau_id):
    try:
        other = apps.get_model("consultations", "EmergencySettings")
    except LookupError:
        return False
    return other.objects.filter(bureau_id=bureau_id).exists()


def to_alert_rules(apps, schema_editor):
    AlertRule = apps.get_model("catalog", "AlertRule")
    Settings = apps.get_model("reports", "TopicReportSettings")
    for setting in Settings.objects.select_related("bureau"):
        threshold = Decimal(str(setting.threshold_magnitude)).quantize(Decimal("0.1"))
        distance = min(float(setting.distance_km), 500.0)
        rule = AlertRule.objects.filter(bureau_id=setting.bureau_id).first()
        if rule is not None:
            other_on = getattr(rule, OTHER)
        else:
            provincial = setting.bureau.kind == "provincial"
            # The other app acted with its defaults (M3.0, inside) unless it has settings of
            # its own, which its migration merges in afterwards.
            other_on = provincial and not _other_has_settings(apps, setting.bureau_id)
            rule = AlertRule(
                bureau_id=setting.bureau_id,
                threshold_magnitude=Decimal("3.0"),
                distance_km=0.0,
                topic_report=provincial,
                emergency_meeting=provincial,
                pushes=True,
                post_quake_case=False,
            )
        setattr(rule, FLAG, setting.enabled)
        if setting.enabled:
            if other_on:
                rule.threshold_magnitude = min(rule.threshold_magnitude, threshold)
                rule.distance_km = max(rule.distance_km, distance)
            else:
                rule.threshold_magnitude, rule.distance_km = threshold, distance
        rule.save()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("catalog", "0003_alert_rule"),
    ]

    operations = [
        migrations.RunPython(to_alert_rules, migrations.RunPython.noop),
        migrations.RemoveField(model_name="topicreportsettings", name="threshold_magnitude"),
        migrations.RemoveField(model_name="topicreportsettings", name="distance_km"),
        migrations.RemoveField(model_name="topicreportsettings", name="enabled"),
    ]

# Hand-written (issue 4): Payment status "applied" and its link to the ReceivedPayment it became,
# when gateway money pays an open PPD invoice (services/settle_open_invoice.py). Written by hand
# because payments/models.py had other helpers' unmigrated changes at the time.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0002_refunds_and_disputes'),
        ('receivables', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='payment',
            name='received_payment',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='gateway_payment', to='receivables.receivedpayment'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='status',
            field=models.CharField(choices=[('pending', 'Por facturar'), ('invoiced', 'Facturado'), ('awaiting_fiscal_data', 'Esperando datos fiscales'), ('failed', 'Con error'), ('not_invoiced', 'No se factura'), ('applied', 'Aplicado a factura PPD')], db_index=True, default='pending', max_length=25),
        ),
    ]

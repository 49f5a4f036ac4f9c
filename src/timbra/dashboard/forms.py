"""Dashboard forms. They only collect and shape input; the services validate the fiscal rules
and their InvoicingError is put back on the field it names (`attach_error`)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from PIL import Image, UnidentifiedImageError

from timbra.catalog.models import Product
from timbra.cfdi.pdf import Branding, BrandingError
from timbra.customers.models import Customer
from timbra.dashboard import choices
from timbra.domain.periods import Frequency
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.schedules.inputs import PlanInput, ScheduleInput
from timbra.schedules.models import Plan

LINE_ROWS = 5
MAX_LOGO_BYTES = 500 * 1024
MAX_CSD_FILE_BYTES = 64 * 1024  # a SAT .cer/.key is 1–2 KB; anything bigger is not one
DECIMAL = {"max_digits": 18, "decimal_places": 6}


def attach_error(form: forms.Form, exc: InvoicingError) -> None:
    """Show a service's Spanish message next to the field it names, else at the top of the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class LoginForm(AuthenticationForm):
    """Django's login form with plain es-MX wording."""

    error_messages = {
        "invalid_login": "Usuario o contraseña incorrectos. Ambos distinguen mayúsculas y minúsculas.",
        "inactive": "Esta cuenta está desactivada.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Usuario"
        self.fields["username"].widget.attrs["autocomplete"] = "username"


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Buscar", max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": "Folio, UUID, RFC o cliente",
                                                      "type": "search"}))
    status = forms.ChoiceField(required=False, label="Estado", choices=choices.status_choices)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, label="Buscar", max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": "RFC o nombre", "type": "search"}))


class InvoiceForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label="Cliente",
                                      empty_label="Elige un cliente")
    metodo_pago = forms.ChoiceField(label="Método de pago", choices=choices.metodo_pago_choices, initial="PUE")
    forma_pago = forms.ChoiceField(label="Forma de pago", choices=choices.forma_pago_choices, initial="03",
                                   help_text="Con PPD se usa siempre «99 – Por definir».")
    moneda = forms.ChoiceField(label="Moneda", choices=choices.moneda_choices, initial="MXN")
    tipo_cambio = forms.DecimalField(label="Tipo de cambio", required=False, min_value=Decimal("0.000001"),
                                     help_text="Solo si la moneda no es MXN.", **DECIMAL)
    serie = forms.CharField(label="Serie", required=False, max_length=25,
                            help_text="Vacío: la serie predeterminada del emisor.")
    condiciones_de_pago = forms.CharField(label="Condiciones de pago", required=False, max_length=200)
    send_email = forms.BooleanField(label="Enviar por correo al cliente", required=False, initial=True)

    def __init__(self, *args: Any, customers: QuerySet[Customer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]

    def to_input(self, lines: list[LineInput]) -> InvoiceInput:
        data = self.cleaned_data
        return InvoiceInput(
            customer_id=data["customer"].pk, lines=tuple(lines), metodo_pago=data["metodo_pago"],
            # The form says PPD always takes «99 Por definir» (the service refuses another forma).
            forma_pago=None if data["metodo_pago"] == "PPD" else data["forma_pago"], moneda=data["moneda"], tipo_cambio=data["tipo_cambio"],
            serie=data["serie"] or None, condiciones_de_pago=data["condiciones_de_pago"],
            send_email=data["send_email"],
        )


class LineForm(forms.Form):
    """One invoice line: a product (its data are defaults) or a free-form concept."""

    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, label="Producto",
                                     empty_label="— Partida libre —")
    descripcion = forms.CharField(required=False, max_length=1000, label="Descripción")
    clave_prod_serv = forms.CharField(required=False, max_length=8, label="Clave prod/serv")
    clave_unidad = forms.CharField(required=False, max_length=3, label="Clave unidad")
    cantidad = forms.DecimalField(required=False, label="Cantidad", initial=1, **DECIMAL)
    unit_price = forms.DecimalField(required=False, label="Precio unitario", **DECIMAL)
    price_includes_taxes = forms.BooleanField(required=False, label="Precio con impuestos incluidos")
    taxes = forms.MultipleChoiceField(required=False, label="Impuestos", choices=choices.tax_choices,
                                      widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, products: QuerySet[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products  # type: ignore[attr-defined]

    def to_input(self) -> LineInput | None:
        """The line for create_invoice, or None for an untouched row."""
        data = getattr(self, "cleaned_data", None) or {}
        product = data.get("product")
        if product is None and not data.get("descripcion") and data.get("unit_price") is None:
            return None

        def text(name: str) -> str | None:
            return data.get(name) or None

        taxes = tuple(data.get("taxes") or ())
        return LineInput(
            product_id=product.pk if product else None,
            descripcion=text("descripcion"),
            clave_prod_serv=text("clave_prod_serv"),
            clave_unidad=(text("clave_unidad") or "").upper() or None,
            cantidad=data.get("cantidad") or Decimal(1),
            unit_price=data.get("unit_price"),
            # A product row with nothing ticked keeps the product's own settings.
            price_includes_taxes=True if data.get("price_includes_taxes") else (None if product else False),
            taxes=taxes if taxes or product is None else None,
        )


LineFormSet = forms.formset_factory(LineForm, extra=LINE_ROWS, max_num=LINE_ROWS, absolute_max=LINE_ROWS)


class CustomerForm(forms.Form):
    rfc = forms.CharField(label="RFC", max_length=13)
    nombre = forms.CharField(label="Nombre o razón social", max_length=300,
                             help_text="Tal como aparece en la constancia de situación fiscal, sin «S.A. de C.V.».")
    regimen_fiscal = forms.ChoiceField(label="Régimen fiscal",
                                       choices=lambda: choices.catalog_choices("regimen_fiscal"))
    codigo_postal = forms.CharField(label="Código postal fiscal", max_length=5)
    uso_cfdi = forms.ChoiceField(label="Uso del CFDI", initial="G03",
                                 choices=lambda: choices.catalog_choices("uso_cfdi"))
    emails = forms.CharField(label="Correos para enviar facturas", required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), help_text="Separados por coma o uno por línea.")

    @staticmethod
    def initial_for(customer: Customer) -> dict[str, Any]:
        return {"rfc": customer.rfc, "nombre": customer.nombre, "regimen_fiscal": customer.regimen_fiscal,
                "codigo_postal": customer.codigo_postal, "uso_cfdi": customer.uso_cfdi,
                "emails": ", ".join(customer.emails)}

    def to_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["emails"] = [e.strip() for e in data["emails"].replace("\n", ",").split(",") if e.strip()]
        return data


class ProductForm(forms.Form):
    descripcion = forms.CharField(label="Descripción", max_length=1000)
    clave_prod_serv = forms.CharField(label="Clave de producto o servicio", max_length=8,
                                      help_text="8 dígitos del catálogo c_ClaveProdServ del SAT.")
    clave_unidad = forms.CharField(label="Clave de unidad", max_length=3, help_text="Por ejemplo E48 o H87.")
    unidad = forms.CharField(label="Unidad", max_length=20, required=False)
    sku = forms.CharField(label="SKU (No. de identificación)", max_length=100, required=False)
    unit_price = forms.DecimalField(label="Precio unitario", **DECIMAL)
    price_includes_taxes = forms.BooleanField(label="El precio ya incluye impuestos", required=False)
    objeto_imp = forms.ChoiceField(label="Objeto de impuesto", initial="02",
                                   choices=lambda: choices.catalog_choices("objeto_imp"))
    taxes = forms.MultipleChoiceField(label="Impuestos", required=False, choices=choices.tax_choices,
                                      widget=forms.CheckboxSelectMultiple, initial=["IVA16"])

    @staticmethod
    def initial_for(product: Product) -> dict[str, Any]:
        return {name: getattr(product, name) for name in (
            "descripcion", "clave_prod_serv", "clave_unidad", "unidad", "sku", "unit_price",
            "price_includes_taxes", "objeto_imp", "taxes")}

    def to_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["clave_unidad"] = data["clave_unidad"].strip().upper()
        data["taxes"] = list(data["taxes"])
        return data


class OrgSettingsForm(forms.Form):
    email = forms.EmailField(label="Correo de facturación", required=False,
                             help_text="Remitente y copia de las facturas enviadas.")
    brand_color = forms.CharField(label="Color de marca", max_length=7,
                                  widget=forms.TextInput(attrs={"type": "color"}),
                                  validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Usa el formato #RRGGBB.")])
    default_serie = forms.CharField(label="Serie predeterminada", max_length=25,
                                    validators=[RegexValidator(r"^[A-Za-z0-9-]{1,25}$",
                                                               "Solo letras, números y guiones.")])
    logo = forms.FileField(label="Logotipo", required=False, help_text="PNG o JPEG, máximo 500 KB.",
                           widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}))
    remove_logo = forms.BooleanField(label="Quitar el logotipo actual", required=False)
    minutes_per_invoice = forms.IntegerField(
        label="Minutos por factura hecha a mano", min_value=1, max_value=240, required=False,
        help_text="Lo que tardaría una persona en hacer cada factura; «Inicio» lo usa para calcular las horas ahorradas.")

    def clean_default_serie(self) -> str:
        return str(self.cleaned_data["default_serie"]).upper()

    def clean_logo(self) -> bytes | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > MAX_LOGO_BYTES:
            raise forms.ValidationError("El logotipo pesa más de 500 KB.")
        data = upload.read()
        invalid = forms.ValidationError("El archivo no es una imagen PNG o JPEG válida.")
        try:
            with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as image:
                image.verify()  # reads the whole file: catches truncated or forged images
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise invalid from exc
        try:
            Branding(logo=data)  # the PDF renderer's own limits (size in pixels)
        except BrandingError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


class CsdUploadForm(forms.Form):
    cer = forms.FileField(label="Certificado (.cer)", widget=forms.ClearableFileInput(attrs={"accept": ".cer"}))
    key = forms.FileField(label="Llave privada (.key)", widget=forms.ClearableFileInput(attrs={"accept": ".key"}))
    password = forms.CharField(label="Contraseña de la llave privada", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "off"}))

    def _read(self, name: str) -> bytes:
        upload = self.cleaned_data[name]
        if upload.size > MAX_CSD_FILE_BYTES:
            raise forms.ValidationError("El archivo es demasiado grande para ser un CSD del SAT.")
        return bytes(upload.read())

    def clean_cer(self) -> bytes:
        return self._read("cer")

    def clean_key(self) -> bytes:
        return self._read("key")


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Nombre", max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": "Por ejemplo: integración Stripe"}))
    livemode = forms.TypedChoiceField(label="Modo", coerce=lambda v: v == "live",
                                      choices=[("test", "Pruebas"), ("live", "Producción")])
    scopes = forms.MultipleChoiceField(label="Permisos", widget=forms.CheckboxSelectMultiple,
                                       choices=[("read", "Lectura"), ("write", "Escritura")],
                                       initial=["read", "write"])


# --- Schedules and plans ---------------------------------------------------------------------------

EVERY_N = ("every_n_days", "every_n_weeks", "every_n_months")


def frequency_choices() -> list[tuple[str, str]]:
    named = ["monthly", "weekly", "every_2_weeks", "every_2_months", "quarterly", "every_6_months", "yearly"]
    return [(code, Frequency.parse(code).label.capitalize()) for code in named] + [
        ("every_n_days", "Cada N días"), ("every_n_weeks", "Cada N semanas"), ("every_n_months", "Cada N meses")]


PAYMENT_CHOICES = [("PPD", "PPD — se factura y después se paga (forma de pago 99)"),
                   ("PUE", "PUE — prepagada (ya está pagada al facturar)")]


class RecurrenceFields(forms.Form):
    """Frequency and payment terms, shared by plans and schedules."""

    frequency = forms.ChoiceField(label="Frecuencia", choices=frequency_choices, initial="monthly")
    every_n = forms.IntegerField(label="N (para «cada N»)", required=False, min_value=1, max_value=366)
    payment = forms.ChoiceField(label="Pago", choices=PAYMENT_CHOICES, initial="PPD")
    forma_pago = forms.ChoiceField(label="Forma de pago (solo PUE)", choices=choices.forma_pago_choices,
                                   initial="03", required=False)
    notice_days = forms.IntegerField(label="Días de aviso al cliente", min_value=0, max_value=60, initial=3,
                                     help_text="El cliente recibe una vista previa de cada factura esos días "
                                               "antes. 0: sin aviso.")

    def frequency_code(self) -> str | None:
        code = self.cleaned_data.get("frequency") or None
        if code in EVERY_N:
            count = self.cleaned_data.get("every_n")
            if not count:
                self.add_error("every_n", "Indica cada cuántos días, semanas o meses.")
                return None
            return f"{code}:{count}"
        return code

    def payment_terms(self) -> tuple[bool | None, str | None]:
        """(prepaid, forma de pago); prepaid None: the plan's terms."""
        payment = self.cleaned_data.get("payment")
        if not payment:
            return None, None
        prepaid = payment == "PUE"
        return prepaid, (self.cleaned_data.get("forma_pago") or None) if prepaid else None


class PlanForm(RecurrenceFields):
    name = forms.CharField(label="Nombre del plan", max_length=200)
    field_order = ["name", "frequency", "every_n", "payment", "forma_pago", "notice_days"]

    def to_input(self, lines: list[LineInput]) -> PlanInput:
        prepaid, forma_pago = self.payment_terms()
        return PlanInput(name=self.cleaned_data["name"], lines=tuple(lines),
                         frequency=self.frequency_code() or "monthly", notice_days=self.cleaned_data["notice_days"],
                         prepaid=bool(prepaid), forma_pago=forma_pago)


class ScheduleForm(RecurrenceFields):
    END_CHOICES = [("never", "Nunca"), ("date", "En una fecha"), ("cycles", "Tras un número de facturas")]

    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label="Cliente", empty_label="Elige un cliente")
    plan = forms.ModelChoiceField(queryset=Plan.objects.none(), label="Plan", required=False,
                                  empty_label="— Sin plan: partidas propias —",
                                  help_text="Con plan se usan sus partidas, frecuencia y condiciones de pago.")
    name = forms.CharField(label="Nombre (opcional)", max_length=200, required=False)
    start_date = forms.DateField(label="Inicio", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text="Vacío: hoy.")
    anchor_date = forms.DateField(label="Día ancla", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text="Fija el día de cada factura (un 31 factura el último día de los "
                                            "meses cortos). Vacío: el inicio.")
    end = forms.ChoiceField(label="Termina", choices=END_CHOICES, initial="never")
    end_date = forms.DateField(label="Fecha de fin", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    cycles = forms.IntegerField(label="Número de facturas", required=False, min_value=1)
    activate = forms.BooleanField(label="Activarla ahora (si no, queda en borrador)", required=False, initial=True)
    field_order = ["customer", "plan", "name", "frequency", "every_n", "start_date", "anchor_date", "end",
                   "end_date", "cycles", "payment", "forma_pago", "notice_days", "activate"]

    def __init__(self, *args: Any, customers: QuerySet[Customer], plans: QuerySet[Plan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]
        self.fields["frequency"].required = False
        self.fields["frequency"].choices = [("", "La del plan (o mensual)"), *frequency_choices()]  # type: ignore[attr-defined]
        self.fields["payment"].required = False
        self.fields["payment"].choices = [("", "La del plan (o PPD)"), *PAYMENT_CHOICES]  # type: ignore[attr-defined]
        self.fields["payment"].initial = ""
        self.fields["notice_days"].required = False
        self.fields["notice_days"].help_text += " Vacío: los del plan (o 3)."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("end") == "date" and not data.get("end_date"):
            self.add_error("end_date", "Indica la fecha de fin.")
        if data.get("end") == "cycles" and not data.get("cycles"):
            self.add_error("cycles", "Indica cuántas facturas.")
        return data

    def to_input(self, lines: list[LineInput]) -> ScheduleInput:
        data = self.cleaned_data
        prepaid, forma_pago = self.payment_terms()
        plan = data["plan"]
        return ScheduleInput(
            customer_id=data["customer"].pk, plan_id=plan.pk if plan else None,
            lines=None if plan else tuple(lines), frequency=self.frequency_code(),
            start_date=data["start_date"], anchor_date=data["anchor_date"],
            end_date=data["end_date"] if data["end"] == "date" else None,
            cycles=data["cycles"] if data["end"] == "cycles" else None,
            prepaid=prepaid, forma_pago=forma_pago, notice_days=data["notice_days"], name=data["name"],
        )

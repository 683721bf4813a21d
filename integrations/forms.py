"""Forms of the connect flow, the setup form every provider's schema builds (integrations.setup_schema), and the
provider's options on the copy prompt."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError

from billing.models import Subsidiary

from . import registry
from .setup_checks import setup_warnings
from .setup_schema import (
    MAPPING_TARGETS,
    CopyPrompt,
    MappingTable,
    Number,
    Pick,
    Radio,
    SetupContext,
    SetupField,
    SetupValues,
    Text,
    Toggle,
    text_of,
)


class ConnectForm(forms.Form):
    subsidiary = forms.ModelChoiceField(queryset=Subsidiary.objects.none(), empty_label=None)
    name = forms.CharField(max_length=100, label="Connection name", help_text="How this connection is shown here.")

    def __init__(self, organization, provider, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subsidiary"].queryset = Subsidiary.objects.filter(organization=organization)
        self.fields["name"].initial = provider.name
        self.option_names = list(provider.connect_fields())
        self.fields.update(provider.connect_fields())

    @property
    def options(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.option_names}


class ChooseTenantForm(forms.Form):
    """Which of the granted tenants to connect: one (a reconnect, radio buttons) or several (checkboxes: one
    connection each, all on the one grant of this consent, e.g. an Exact user's divisions)."""

    def __init__(self, tenants, *args, provider=None, several=False, **kwargs):
        super().__init__(*args, **kwargs)
        noun = provider.tenant_noun if provider else "organisation"
        plural = provider.tenant_noun_plural if provider else "organisations"
        choices = [(t["id"], t["name"]) for t in tenants]
        if several:
            self.fields["tenant"] = forms.MultipleChoiceField(
                label=plural.capitalize(),
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": f"Choose at least one {noun}."},
            )
        else:
            self.fields["tenant"] = forms.ChoiceField(
                label=noun.capitalize(), choices=choices, widget=forms.RadioSelect
            )

    @property
    def tenant_ids(self) -> list[str]:
        chosen = self.cleaned_data["tenant"]
        return list(chosen) if isinstance(chosen, list) else [chosen]


# --- Built from a schema ----------------------------------------------------------------------------------


def form_field(item: SetupField, context: SetupContext, current) -> forms.Field:
    """The Django field of one declared field; a stored pick-list code that left the list stays selectable."""
    help_text = text_of(item.help_text, context)
    common = {"label": item.label, "help_text": help_text, "required": False}
    if isinstance(item, Toggle):
        return forms.BooleanField(**common)
    if isinstance(item, Radio):
        return forms.ChoiceField(choices=list(item.choices), widget=forms.RadioSelect, **{**common, "required": True})
    if isinstance(item, Pick):
        choices = [("", item.empty_label), *_options(context, item.pick_list, item.accept)]
        return forms.ChoiceField(choices=_keep_current(choices, current, context), **common)
    if isinstance(item, Number):
        return forms.IntegerField(min_value=item.min_value, max_value=item.max_value, **common)
    if isinstance(item, Text):
        return forms.CharField(max_length=item.max_length, **common)
    raise TypeError(f"{type(item).__name__} is not a setup field kind.")


def _options(context: SetupContext, pick_list: str, accept) -> list[tuple[str, str]]:
    label = context.pick_list(pick_list).option_label
    return [(option["code"], label(option)) for option in context.options(pick_list, accept)]


def _keep_current(choices: list, current, context: SetupContext) -> list:
    """A stored code that is not in the cached list any more stays selectable (and is refused at save)."""
    if current and current not in {code for code, _label in choices}:
        return [*choices, (current, f"{current} (not in {context.provider.name}'s list any more)")]
    return choices


@dataclass
class BoundRow:
    label: str
    field: forms.BoundField
    help_text: str


@dataclass
class BoundTable:
    table: MappingTable
    column_label: str
    intro: str
    rows: list[BoundRow]
    empty_text: str
    warnings: list[str]


@dataclass
class BoundField:
    field: forms.BoundField
    note: str = ""  # a line under the field about the saved state


@dataclass
class BoundEntry:
    """One block of a section as the template renders it: consecutive fields (one grid) or a mapping table."""

    fields: list[BoundField] = field(default_factory=list)
    table: BoundTable | None = None


@dataclass
class BoundSection:
    title: str
    intro: str
    entries: list[BoundEntry] = field(default_factory=list)


class SetupForm(forms.Form):
    """A connection's setup as its provider declares it. Initial values are what is saved, so re-saving the page
    unchanged changes nothing; `save()` goes through services.connection_setup and turns its refusals into field
    errors (nothing is saved then)."""

    def __init__(self, connection, *args, provider=None, **kwargs):
        self.connection = connection
        self.provider = provider or registry.get(connection.provider)
        self.schema = self.provider.setup_schema()
        self.context = SetupContext(connection, self.provider)
        stored = self.context.settings
        initial = {item.name: item.stored(stored) for item in self.schema.fields}
        for table in self.schema.tables:
            mapped = self.context.stored_mappings(table)
            initial |= {table.field_name(row.pk): mapped.get(row.pk, "") for row in self.context.rows(table)}
        kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        for item in self.schema.fields:
            self.fields[item.name] = form_field(item, self.context, self.initial.get(item.name))
        for table in self.schema.tables:
            choices = [("", table.empty_label), *_options(self.context, table.pick_list, table.accept)]
            for row in self.context.rows(table):
                name = table.field_name(row.pk)
                self.fields[name] = forms.ChoiceField(
                    required=False,
                    label=str(row),
                    choices=_keep_current(choices, self.initial.get(name), self.context),
                    help_text=table.needed_help if self.context.row_needed(table, row) else table.optional_help,
                )

    @property
    def sections(self) -> list[BoundSection]:
        context = self.context
        sections = []
        for section in self.schema.sections:
            bound = BoundSection(section.title, text_of(section.intro, context))
            for item in section.items:
                if isinstance(item, SetupField):
                    if not bound.entries or bound.entries[-1].table is not None:
                        bound.entries.append(BoundEntry())
                    note = item.note(context) if item.note else ""
                    bound.entries[-1].fields.append(BoundField(self[item.name], note))
                else:
                    bound.entries.append(BoundEntry(table=self._bound_table(item)))
            sections.append(bound)
        return sections

    def _bound_table(self, table: MappingTable) -> BoundTable:
        rows = [self[table.field_name(row.pk)] for row in self.context.rows(table)]
        return BoundTable(
            table=table,
            column_label=text_of(table.column_label, self.context),
            intro=text_of(table.intro, self.context),
            rows=[BoundRow(bound.label, bound, bound.help_text) for bound in rows],
            empty_text=MAPPING_TARGETS[table.target].empty_text,
            warnings=[warning for hook in table.warnings for warning in hook(self.context)],
        )

    @property
    def warnings(self) -> list[str]:
        return setup_warnings(self.schema, self.context)

    def setup_values(self) -> SetupValues:
        data = self.cleaned_data
        fields = {item.name: _cleaned(item, data.get(item.name)) for item in self.schema.fields}
        mappings = {
            table.name: {row.pk: data.get(table.field_name(row.pk)) or "" for row in self.context.rows(table)}
            for table in self.schema.tables
        }
        return SetupValues(fields, mappings)

    def save(self):
        """Apply through the service; its refusals become field errors (and nothing is saved)."""
        from .services.connection_setup import connection_setup_save

        try:
            return connection_setup_save(connection=self.connection, values=self.setup_values())
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
            return None


def _cleaned(item: SetupField, value):
    if isinstance(item, Toggle):
        return bool(value)
    if isinstance(item, Number):
        return value
    return value or ""


class CopyPromptForm(forms.Form):
    """The provider's own options on a copy prompt (CopyPrompt.fields), starting from the setup's values; the
    contact and the "Update existing / Create new" choice are the prompt's own inputs, not fields here. After a
    copy, the options it was sent with (`previous`) come first, so "Update existing" sends what the copy has."""

    def __init__(self, connection, prompt: CopyPrompt, *args, provider=None, previous=None, **kwargs):
        self.prompt = prompt
        self.provider = provider or registry.get(connection.provider)
        self.context = SetupContext(connection, self.provider)
        previous = previous or {}
        kwargs["initial"] = {
            item.name: previous[item.name] if item.name in previous else item.stored(self.context.settings)
            for item in prompt.fields
        }
        super().__init__(*args, **kwargs)
        for item in prompt.fields:
            self.fields[item.name] = form_field(item, self.context, self.initial.get(item.name))

    def clean(self):
        data = super().clean()
        for item in self.prompt.fields:
            if item.name in self.errors:
                continue
            problem = next((p for check in item.validators if (p := check(data.get(item.name), self.context))), "")
            if isinstance(item, Radio | Pick) and item.needed and not data.get(item.name):
                problem = problem or f"Choose {item.label[:1].lower()}{item.label[1:]}."
            if problem:
                self.add_error(item.name, problem)
        return data

    @property
    def options(self) -> dict:
        """The chosen options, by field name (empty for a provider that asks none)."""
        return {item.name: _cleaned(item, self.cleaned_data.get(item.name)) for item in self.prompt.fields}

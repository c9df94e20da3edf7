from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LinkAlloForm(forms.Form):
    phone = forms.CharField(
        label=_("Allo Bank phone number"), max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "6281100000001", "inputmode": "tel",
                                      "autocomplete": "tel"}))

    def clean_phone(self) -> str:
        # Customers type "+62 811-0000-0001"; DOKU wants the bare digits "6281100000001".
        # Anything else wrong with the number is the library's to report.
        phone = "".join(ch for ch in self.cleaned_data["phone"] if ch not in " +-().")
        if phone.startswith("0"):
            phone = "62" + phone[1:]
        return phone

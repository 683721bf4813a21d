from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("settings/marketplace/", views.MarketplaceView.as_view(), name="marketplace"),
]

from django.urls import path

from aijesus.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("mode", views.switch_mode, name="mode"),
    path("twitch/connect", views.twitch_connect, name="twitch-connect"),
    path("twitch/callback", views.twitch_callback, name="twitch-callback"),
    path("twitch/<int:pk>/disconnect", views.twitch_disconnect, name="twitch-disconnect"),
]

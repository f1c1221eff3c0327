from django.urls import path

from aijesus.studio import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("questions/<int:pk>/approve", views.approve, name="question-approve"),
    path("questions/<int:pk>/reject", views.reject, name="question-reject"),
    path("clips/<int:pk>/reair", views.clip_reair, name="clip-reair"),
    path("stream/<str:command>", views.stream_command, name="stream-command"),
]

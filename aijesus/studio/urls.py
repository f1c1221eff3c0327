from django.urls import include, path

from aijesus.studio.views import queue

urlpatterns = [
    path("", queue.dashboard, name="dashboard"),
    path("questions/<int:pk>/approve", queue.approve, name="question-approve"),
    path("questions/<int:pk>/reject", queue.reject, name="question-reject"),
    path("clips/<int:pk>/reair", queue.clip_reair, name="clip-reair"),
    path("stream/<str:command>", queue.stream_command, name="stream-command"),
    path("personas/", include("aijesus.studio.urls_personas")),
]

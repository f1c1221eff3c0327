from django.urls import include, path

from aijesus.studio.views import latency, library, media, queue, system, users

urlpatterns = [
    path("", queue.dashboard, name="dashboard"),
    path("questions/<int:pk>/approve", queue.approve, name="question-approve"),
    path("questions/<int:pk>/reject", queue.reject, name="question-reject"),
    path("questions/bulk-reject", queue.bulk_reject, name="questions-bulk-reject"),
    path("questions/<int:pk>/bump", queue.bump, name="question-bump"),
    path("questions/<int:pk>/retry", queue.retry, name="question-retry"),
    path("clips/", library.library, name="library"),
    path("clips/<int:pk>/reair", queue.clip_reair, name="clip-reair"),
    path("clips/<int:pk>/cancel", queue.cancel, name="clip-cancel"),
    path("clips/<int:pk>/delete", library.delete, name="clip-delete"),
    path("clips/<int:pk>/star", library.star, name="clip-star"),
    path("clips/<int:pk>/<str:kind>", media.clip_file, name="clip-file"),
    path("latency/", latency.latency, name="latency"),
    path("system/", system.system, name="system"),
    path("system/test/<str:name>", system.system_test, name="system-test"),
    path("users/", users.user_list, name="users"),
    path("users/invite", users.user_invite, name="user-invite"),
    path("users/remove", users.user_remove, name="user-remove"),
    path("users/password", users.user_password, name="user-password"),
    path("mode", queue.set_mode, name="chat-mode"),
    path("stream/preview.jpg", media.stream_preview, name="stream-preview"),
    path("stream/hls/<str:name>", media.stream_hls, name="stream-hls"),
    path("stream/<str:command>", queue.stream_command, name="stream-command"),
    path("personas/", include("aijesus.studio.urls_personas")),
    path("avatars/", include("aijesus.studio.urls_avatars")),
]

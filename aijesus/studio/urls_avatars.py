from django.urls import path

from aijesus.studio.views import avatars

urlpatterns = [
    path("", avatars.avatar_list, name="avatars"),
    path("<int:pk>/", avatars.avatar_detail, name="avatar-detail"),
    path("<int:pk>/face-box", avatars.face_box, name="avatar-face-box"),
    path("<int:pk>/preview/<str:which>.png", avatars.preview, name="avatar-preview"),
    path("<int:pk>/source", avatars.source, name="avatar-source"),
]

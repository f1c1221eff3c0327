from django.urls import path

from aijesus.studio.views import personas, voices

urlpatterns = [
    path("", personas.persona_list, name="personas"),
    path("new", personas.persona_new, name="persona-new"),
    path("<int:pk>/", personas.persona_edit, name="persona-edit"),
    path("<int:pk>/activate", personas.persona_activate, name="persona-activate"),
    path("<int:pk>/versions/<int:number>/", personas.version_detail, name="persona-version"),
    path("<int:pk>/versions/<int:number>/rollback", personas.version_rollback, name="persona-rollback"),
    path("<int:pk>/playground/", personas.playground_page, name="persona-playground"),
    path("<int:pk>/playground/answer", personas.playground_answer, name="playground-answer"),
    path("<int:pk>/playground/voice", personas.playground_voice, name="playground-voice"),
    path("playground/<str:name>", personas.playground_audio, name="playground-audio"),
    path("voices/upload", voices.voice_upload, name="voice-upload"),
    path("voices/<str:name>/audition", voices.voice_audition, name="voice-audition"),
]

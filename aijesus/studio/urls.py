from django.urls import path

from aijesus.studio import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("questions/<int:pk>/approve", views.approve, name="question-approve"),
    path("questions/<int:pk>/reject", views.reject, name="question-reject"),
]

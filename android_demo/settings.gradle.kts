// The FNet text classifier demo for Android: MediaPipe Tasks Text runs the bundle's model.tflite.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google() // com.google.mediapipe:tasks-text lives in Google's Maven repository
        mavenCentral()
    }
}

rootProject.name = "fnet-keras-android-demo"
include(":app")

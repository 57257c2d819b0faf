import org.jetbrains.kotlin.gradle.dsl.JvmTarget
import org.jetbrains.kotlin.gradle.tasks.KotlinCompile

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "dev.fnetkeras.demo"
    compileSdk = 35

    defaultConfig {
        applicationId = "dev.fnetkeras.demo"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    // MediaPipe maps model.tflite straight from the APK: it must be stored, not compressed.
    androidResources {
        noCompress += "tflite"
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

tasks.withType<KotlinCompile>().configureEach {
    compilerOptions.jvmTarget.set(JvmTarget.JVM_17)
}

dependencies {
    implementation("com.google.mediapipe:tasks-text:${property("mediapipeTasksTextVersion")}")
}

/**
 * Copies the demo bundle's model.tflite (MediaPipe metadata with vocab.txt and labels.txt inside) and
 * bundle.json (the name, quantization and size shown) into generated assets: the bundle stays in one
 * place, fnet_keras/demo/sst2/, and is never committed twice.
 */
abstract class CopyDemoBundle : DefaultTask() {
    @get:InputFiles
    @get:PathSensitive(PathSensitivity.NAME_ONLY)
    abstract val bundleFiles: ConfigurableFileCollection

    @get:OutputDirectory
    abstract val outputDirectory: DirectoryProperty

    @TaskAction
    fun copy() {
        val output = outputDirectory.get().asFile
        output.deleteRecursively()
        output.mkdirs()
        for (file in bundleFiles.files) {
            if (!file.isFile) {
                throw GradleException(
                    "$file is missing: make the demo bundle first (`make demo-model` in the repository " +
                        "root) or point -PdemoBundleDir at a bundle directory"
                )
            }
            file.copyTo(File(output, file.name))
        }
    }
}

val demoBundleDir: Directory = rootProject.layout.projectDirectory.dir(property("demoBundleDir").toString())

androidComponents {
    onVariants { variant ->
        val copyTask = tasks.register<CopyDemoBundle>(
            "copy${variant.name.replaceFirstChar { it.uppercase() }}DemoBundle"
        ) {
            bundleFiles.from(demoBundleDir.file("model.tflite"), demoBundleDir.file("bundle.json"))
        }
        variant.sources.assets?.addGeneratedSourceDirectory(copyTask, CopyDemoBundle::outputDirectory)
    }
}

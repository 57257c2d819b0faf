package dev.fnetkeras.demo

import android.app.Activity
import android.os.Bundle
import android.os.SystemClock
import android.view.ViewGroup
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.ProgressBar
import android.widget.TextView
import com.google.mediapipe.tasks.components.containers.Category
import com.google.mediapipe.tasks.core.BaseOptions
import com.google.mediapipe.tasks.text.textclassifier.TextClassifier
import java.io.IOException
import java.util.Locale
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/**
 * One screen: a text box, a Classify button, every label with its score (top first), the time of one
 * `classify` call, and the model's name, quantization and size. Tokenization and inference are
 * MediaPipe's (the model's metadata carries the vocabulary and labels); this class only shows them.
 */
class MainActivity : Activity() {
    companion object {
        const val MODEL_ASSET = "model.tflite"
    }

    // MediaPipe calls run on this one thread, off the UI thread; results come back with runOnUiThread.
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()

    @Volatile
    private var classifier: TextClassifier? = null

    private lateinit var textInput: EditText
    private lateinit var classifyButton: Button
    private lateinit var status: TextView
    private lateinit var inferenceTime: TextView
    private lateinit var labels: LinearLayout

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        textInput = findViewById(R.id.text)
        classifyButton = findViewById(R.id.classify)
        status = findViewById(R.id.status)
        inferenceTime = findViewById(R.id.inference_time)
        labels = findViewById(R.id.labels)
        showModel(BundleInfo.read(assets))
        classifyButton.setOnClickListener { classify() }
        worker.execute { load() }
    }

    override fun onDestroy() {
        worker.execute { classifier?.close() }
        worker.shutdown()
        super.onDestroy()
    }

    private fun showModel(info: BundleInfo) {
        val unknown = getString(R.string.unknown)
        findViewById<TextView>(R.id.model_name).text = info.name ?: unknown
        findViewById<TextView>(R.id.model_quantization).text = info.quantization ?: unknown
        // The size of the model inside the APK (stored uncompressed), else what bundle.json says.
        val bytes = try {
            assets.openFd(MODEL_ASSET).use { it.length }
        } catch (error: IOException) {
            info.manifestModelBytes
        }
        findViewById<TextView>(R.id.model_size).text = bytes?.let { BundleInfo.formatSize(it) } ?: unknown
    }

    private fun load() {
        try {
            val options = TextClassifier.TextClassifierOptions.builder()
                .setBaseOptions(BaseOptions.builder().setModelAssetPath(MODEL_ASSET).build())
                .build() // no maxResults: every label
            val created = TextClassifier.createFromOptions(this, options)
            created.classify("warm up") // the first call allocates tensors; the timing shows later calls
            classifier = created
            runOnUiThread {
                classifyButton.isEnabled = true
                status.text = getString(R.string.ready)
            }
        } catch (error: Exception) { // MediaPipeException (a RuntimeException) or a missing asset
            runOnUiThread { status.text = getString(R.string.load_failed, error.message ?: error.toString()) }
        }
    }

    private fun classify() {
        val current = classifier ?: return
        val text = textInput.text.toString()
        if (text.isBlank()) {
            status.text = getString(R.string.type_first)
            return
        }
        classifyButton.isEnabled = false
        worker.execute {
            val start = SystemClock.elapsedRealtimeNanos()
            val outcome = runCatching { current.classify(text) }
            val milliseconds = (SystemClock.elapsedRealtimeNanos() - start) / 1e6
            runOnUiThread {
                classifyButton.isEnabled = true
                outcome.fold(
                    onSuccess = { result ->
                        val head = result.classificationResult().classifications().first()
                        val sorted = head.categories().sortedWith(compareBy({ -it.score() }, { it.index() }))
                        showResult(sorted, milliseconds)
                        status.text = getString(R.string.ready)
                    },
                    onFailure = { error ->
                        status.text = getString(R.string.classify_failed, error.message ?: error.toString())
                    },
                )
            }
        }
    }

    private fun showResult(categories: List<Category>, milliseconds: Double) {
        inferenceTime.text = getString(R.string.inference_time, milliseconds)
        labels.removeAllViews()
        for (category in categories) {
            val label = category.displayName().ifEmpty { category.categoryName() }
                .ifEmpty { "#${category.index()}" }
            val row = TextView(this)
            row.text = String.format(Locale.US, "%s  %.4f", label, category.score())
            row.textSize = 18f
            val bar = ProgressBar(this, null, android.R.attr.progressBarStyleHorizontal)
            bar.max = 1000
            bar.progress = (category.score().coerceIn(0f, 1f) * 1000).toInt()
            labels.addView(row)
            val width = ViewGroup.LayoutParams.MATCH_PARENT
            labels.addView(bar, LinearLayout.LayoutParams(width, ViewGroup.LayoutParams.WRAP_CONTENT))
        }
    }
}

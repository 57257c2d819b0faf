package dev.fnetkeras.demo

import android.content.res.AssetManager
import org.json.JSONException
import org.json.JSONObject
import java.io.IOException
import java.util.Locale

/**
 * What the screen shows about the model, from the bundle.json copied into the assets at build time
 * (bundle format 2: "name", "quantization": {"mode": ...}, "files": {"model.tflite": {"bytes": ...}}).
 * Display only: a missing file or field shows as unknown (null here), never an error.
 */
data class BundleInfo(val name: String?, val quantization: String?, val manifestModelBytes: Long?) {
    companion object {
        const val MANIFEST_ASSET = "bundle.json"

        fun read(assets: AssetManager): BundleInfo {
            val manifest = try {
                JSONObject(assets.open(MANIFEST_ASSET).bufferedReader().use { it.readText() })
            } catch (error: IOException) { // no bundle.json in the assets
                return BundleInfo(null, null, null)
            } catch (error: JSONException) {
                return BundleInfo(null, null, null)
            }
            val name = manifest.optString("name").ifBlank { null }
            // Format 2 writes {"mode": "int8", ...}; format 1 wrote the mode as a plain string.
            val quantization = when (val value = manifest.opt("quantization")) {
                is JSONObject -> value.optString("mode").ifBlank { null }
                is String -> value.ifBlank { null }
                else -> null
            }
            val modelEntry = manifest.optJSONObject("files")?.optJSONObject(MainActivity.MODEL_ASSET)
            val bytes = modelEntry?.optLong("bytes", -1L)?.takeIf { it >= 0 }
            return BundleInfo(name, quantization, bytes)
        }

        /** "266.42 kB (266,420 bytes)", as the web demo writes it. */
        fun formatSize(bytes: Long): String {
            val short = when {
                bytes >= 1_000_000 -> String.format(Locale.US, "%.2f MB", bytes / 1e6)
                bytes >= 1_000 -> String.format(Locale.US, "%.2f kB", bytes / 1e3)
                else -> "$bytes B"
            }
            return String.format(Locale.US, "%s (%,d bytes)", short, bytes)
        }
    }
}

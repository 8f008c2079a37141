/*
 * libinception for C++17: a header-only wrapper over the C API in inception.h.
 *
 *  - RAII handles (Options, Model, Session, Image): movable, not copyable; destructors
 *    free. A Session keeps its model alive by itself (the C library counts references).
 *  - Every failing call throws inception::Error, which carries the status code and the
 *    library's detail message.
 *  - Data goes in as pointer + size or std::vector, and comes out as std::vector copies
 *    (Session::output) or as a borrowed View valid until the next run.
 *
 *     inception::Model model("inception_v3.safetensors");
 *     inception::Session session(model);
 *     for (const auto &p : session.classify_file("cat.jpg", 5))
 *         std::printf("%.3f %s\n", p.probability, p.label.c_str());
 *
 * Thread rules are the C library's: a Model may be shared, a Session is used by one
 * thread at a time.
 */
#ifndef INCEPTION_INCEPTION_HPP
#define INCEPTION_INCEPTION_HPP

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "inception/inception.h"

namespace inception {

/* A failed call: status() is the inception_status, what() the detail message. */
class Error : public std::runtime_error {
public:
    Error(inception_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}
    inception_status status() const noexcept { return status_; }

private:
    inception_status status_;
};

namespace detail {
inline void check(inception_status st, const char *what) {
    if (st == INCEPTION_OK) return;
    std::string msg = what;
    const char *detail = inception_last_error();
    msg += ": ";
    msg += (detail && detail[0]) ? detail : inception_status_string(st);
    throw Error(st, msg);
}
inline void check_session(inception_status st, const inception_session *s, const char *what) {
    if (st == INCEPTION_OK) return;
    std::string msg = what;
    const char *detail = inception_session_last_error(s);
    msg += ": ";
    msg += (detail && detail[0]) ? detail : inception_status_string(st);
    throw Error(st, msg);
}
} // namespace detail

/* Move-only owner of a C handle with its free function. */
template <typename T, void (*Free)(T *)> class Handle {
public:
    Handle() noexcept = default;
    explicit Handle(T *p) noexcept : p_(p) {}
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    Handle(Handle &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    Handle &operator=(Handle &&o) noexcept {
        if (this != &o) {
            Free(p_);
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    ~Handle() { Free(p_); }
    T *get() const noexcept { return p_; }

private:
    T *p_ = nullptr;
};

class Options {
public:
    Options() {
        inception_options *o = nullptr;
        detail::check(inception_options_create(&o), "inception_options_create");
        h_ = Handle<inception_options, inception_options_free>(o);
    }
    Options &set(inception_option key, int64_t value) {
        detail::check(inception_options_set_int(h_.get(), key, value), "inception_options_set_int");
        return *this;
    }
    Options &set(inception_option key, const std::string &value) {
        detail::check(inception_options_set_string(h_.get(), key, value.c_str()),
                      "inception_options_set_string");
        return *this;
    }
    Options &set(inception_option key, const char *value) { return set(key, std::string(value)); }
    const inception_options *get() const noexcept { return h_.get(); }

private:
    Handle<inception_options, inception_options_free> h_;
};

/* Decoded 8-bit RGB pixels. */
class Image {
public:
    static Image decode_file(const std::string &path, const Options *options = nullptr) {
        inception_image *img = nullptr;
        detail::check(inception_image_decode_file(path.c_str(), options ? options->get() : nullptr, &img),
                      "inception_image_decode_file");
        return Image(img);
    }
    static Image decode_memory(const void *data, size_t size, const Options *options = nullptr) {
        inception_image *img = nullptr;
        detail::check(inception_image_decode_memory(data, size, options ? options->get() : nullptr, &img),
                      "inception_image_decode_memory");
        return Image(img);
    }
    static Image decode_memory(const std::vector<uint8_t> &bytes, const Options *options = nullptr) {
        return decode_memory(bytes.data(), bytes.size(), options);
    }
    /* Caller pixels, rows `row_stride` bytes apart (0: tightly packed). */
    static Image from_pixels(const void *pixels, int32_t width, int32_t height,
                             inception_pixel_format format = INCEPTION_PIXEL_RGB,
                             size_t row_stride = 0, const Options *options = nullptr) {
        if (row_stride == 0) {
            size_t bpp = format == INCEPTION_PIXEL_GRAY ? 1
                         : (format == INCEPTION_PIXEL_RGBA || format == INCEPTION_PIXEL_BGRA) ? 4
                                                                                              : 3;
            row_stride = width > 0 ? static_cast<size_t>(width) * bpp : 0;
        }
        inception_image *img = nullptr;
        detail::check(inception_image_from_pixels(pixels, width, height, row_stride, format,
                                                  options ? options->get() : nullptr, &img),
                      "inception_image_from_pixels");
        return Image(img);
    }
    int32_t width() const noexcept { return inception_image_width(h_.get()); }
    int32_t height() const noexcept { return inception_image_height(h_.get()); }
    const uint8_t *pixels() const noexcept { return inception_image_pixels(h_.get()); }
    const inception_image *get() const noexcept { return h_.get(); }

private:
    explicit Image(inception_image *img) : h_(img) {}
    Handle<inception_image, inception_image_free> h_;
};

class Model {
public:
    explicit Model(const std::string &path, const Options *options = nullptr) {
        inception_model *m = nullptr;
        detail::check(inception_model_load_file(path.c_str(), options ? options->get() : nullptr, &m),
                      "inception_model_load_file");
        h_ = Handle<inception_model, inception_model_free>(m);
    }
    static Model from_memory(const void *data, size_t size, const Options *options = nullptr) {
        inception_model *m = nullptr;
        detail::check(inception_model_load_memory(data, size, options ? options->get() : nullptr, &m),
                      "inception_model_load_memory");
        return Model(m);
    }
    int64_t info(inception_model_info key) const {
        int64_t v = 0;
        detail::check(inception_model_info_int(h_.get(), key, &v), "inception_model_info_int");
        return v;
    }
    std::string info_string(inception_model_info_str key) const {
        const char *s = nullptr;
        detail::check(inception_model_info_string(h_.get(), key, &s), "inception_model_info_string");
        return s ? s : "";
    }
    int64_t classes() const { return info(INCEPTION_INFO_CLASSES); }
    /* The label of a class, or "" when the model has none (NOT_FOUND in C). */
    std::string label(int64_t class_index) const {
        const char *s = nullptr;
        inception_status st = inception_model_label(h_.get(), class_index, &s);
        if (st == INCEPTION_ERR_NOT_FOUND && class_index >= 0 && class_index < classes()) return "";
        detail::check(st, "inception_model_label");
        return s ? s : "";
    }
    const inception_model *get() const noexcept { return h_.get(); }

private:
    explicit Model(inception_model *m) : h_(m) {}
    Handle<inception_model, inception_model_free> h_;
};

struct Prediction {
    int32_t class_index;
    float probability;
    std::string label; /* "" for a model without labels */
};

/* A borrowed output: valid until the next run or the session's end. */
struct View {
    const float *data = nullptr;
    std::vector<int64_t> dims;
    inception_layout layout = INCEPTION_LAYOUT_NC;
    size_t size() const {
        size_t n = 1;
        for (int64_t d : dims) n *= static_cast<size_t>(d);
        return dims.empty() ? 0 : n;
    }
    std::vector<float> to_vector() const { return std::vector<float>(data, data + size()); }
};

class Session {
public:
    explicit Session(const Model &model, const Options *options = nullptr) : model_(model.get()) {
        inception_session *s = nullptr;
        detail::check(inception_session_create(model.get(), options ? options->get() : nullptr, &s),
                      "inception_session_create");
        h_ = Handle<inception_session, inception_session_free>(s);
    }

    /* A float32 input of `dims` ([N,3,H,W] for NCHW, [N,H,W,3] for NHWC), not copied. */
    void run(const float *data, const std::vector<int64_t> &dims,
             inception_layout layout = INCEPTION_LAYOUT_NCHW) {
        size_t count = 1;
        for (int64_t d : dims) count *= d > 0 ? static_cast<size_t>(d) : 0;
        inception_tensor *t = nullptr;
        detail::check(inception_tensor_wrap(INCEPTION_DTYPE_F32, layout, dims.data(),
                                            static_cast<int32_t>(dims.size()),
                                            const_cast<float *>(data), count * sizeof(float), &t),
                      "inception_tensor_wrap");
        Handle<inception_tensor, inception_tensor_free> guard(t);
        detail::check_session(inception_session_run(h_.get(), t), h_.get(), "inception_session_run");
    }
    void run(const std::vector<float> &data, const std::vector<int64_t> &dims,
             inception_layout layout = INCEPTION_LAYOUT_NCHW) {
        size_t count = 1;
        for (int64_t d : dims) count *= d > 0 ? static_cast<size_t>(d) : 0;
        if (count != data.size())
            throw Error(INCEPTION_ERR_SHAPE, "Session::run: the vector holds " +
                                                 std::to_string(data.size()) +
                                                 " floats but the dims need " + std::to_string(count));
        run(data.data(), dims, layout);
    }

    View output(inception_output which) const {
        const inception_tensor *t = nullptr;
        detail::check_session(inception_session_output(h_.get(), which, &t), h_.get(),
                              "inception_session_output");
        return view(t);
    }
    View output_named(const std::string &name) const {
        const inception_tensor *t = nullptr;
        detail::check_session(inception_session_output_named(h_.get(), name.c_str(), &t), h_.get(),
                              "inception_session_output_named");
        return view(t);
    }

    std::vector<Prediction> classify(const void *data, size_t size, int32_t k = 5) {
        return top(k, [&](int32_t *c, float *p, int32_t *n) {
            return inception_session_classify(h_.get(), data, size, k, c, p, n);
        }, "inception_session_classify");
    }
    std::vector<Prediction> classify(const std::vector<uint8_t> &bytes, int32_t k = 5) {
        return classify(bytes.data(), bytes.size(), k);
    }
    std::vector<Prediction> classify_file(const std::string &path, int32_t k = 5) {
        return top(k, [&](int32_t *c, float *p, int32_t *n) {
            return inception_session_classify_file(h_.get(), path.c_str(), k, c, p, n);
        }, "inception_session_classify_file");
    }
    std::vector<Prediction> classify(const Image &image, int32_t k = 5) {
        return top(k, [&](int32_t *c, float *p, int32_t *n) {
            return inception_session_classify_image(h_.get(), image.get(), k, c, p, n);
        }, "inception_session_classify_image");
    }
    /* Raw packed pixels (RGB by default). */
    std::vector<Prediction> classify_pixels(const void *pixels, int32_t width, int32_t height,
                                            inception_pixel_format format = INCEPTION_PIXEL_RGB,
                                            int32_t k = 5) {
        return classify(Image::from_pixels(pixels, width, height, format), k);
    }

    int64_t memory() const {
        int64_t b = 0;
        detail::check(inception_session_memory(h_.get(), &b), "inception_session_memory");
        return b;
    }
    inception_session *get() const noexcept { return h_.get(); }

private:
    static View view(const inception_tensor *t) {
        View v;
        v.data = static_cast<const float *>(inception_tensor_data(t));
        v.layout = inception_tensor_layout(t);
        for (int32_t i = 0; i < inception_tensor_rank(t); i++) v.dims.push_back(inception_tensor_dim(t, i));
        return v;
    }
    template <typename F> std::vector<Prediction> top(int32_t k, F call, const char *what) {
        if (k < 1) throw Error(INCEPTION_ERR_INVALID_ARGUMENT, std::string(what) + ": k must be >= 1");
        std::vector<int32_t> c(static_cast<size_t>(k));
        std::vector<float> p(static_cast<size_t>(k));
        int32_t n = 0;
        detail::check_session(call(c.data(), p.data(), &n), h_.get(), what);
        std::vector<Prediction> out;
        out.reserve(static_cast<size_t>(n));
        for (int32_t i = 0; i < n; i++) {
            const char *label = nullptr;
            bool has = inception_model_label(model_, c[static_cast<size_t>(i)], &label) == INCEPTION_OK;
            out.push_back({c[static_cast<size_t>(i)], p[static_cast<size_t>(i)],
                           has && label ? label : ""});
        }
        return out;
    }
    const inception_model *model_;
    Handle<inception_session, inception_session_free> h_;
};

} // namespace inception

#endif /* INCEPTION_INCEPTION_HPP */

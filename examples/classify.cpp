// C++ use of the C API: RAII wrappers own the handles and errors become exceptions.
//   c++ -std=c++17 classify.cpp $(pkg-config --cflags --libs inception) -o classify_cpp
//   ./classify_cpp inception_v3.safetensors photo.jpg
#include <inception/inception.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace inc {

struct error : std::runtime_error {
    inception_status status;
    error(inception_status s, const std::string &what) : std::runtime_error(what), status(s) {}
};

inline void check(inception_status s, const char *detail) {
    if (s != INCEPTION_OK) throw error(s, detail);
}

template <typename T, void (*Free)(T *)> struct deleter {
    void operator()(T *p) const { Free(p); }
};
using model_ptr = std::unique_ptr<inception_model, deleter<inception_model, inception_model_free>>;
using session_ptr =
    std::unique_ptr<inception_session, deleter<inception_session, inception_session_free>>;

struct prediction {
    int32_t cls;
    float probability;
    std::string label;
};

class classifier {
  public:
    explicit classifier(const std::string &path) {
        inception_model *m = nullptr;
        check(inception_model_load_file(path.c_str(), nullptr, &m), inception_last_error());
        model_.reset(m);
        inception_session *s = nullptr;
        check(inception_session_create(model_.get(), nullptr, &s), inception_last_error());
        session_.reset(s);
    }

    std::vector<prediction> classify(const std::string &image, int k = 5) {
        std::vector<int32_t> classes(k);
        std::vector<float> probs(k);
        int32_t n = 0;
        inception_status s = inception_session_classify_file(session_.get(), image.c_str(), k,
                                                             classes.data(), probs.data(), &n);
        check(s, inception_session_last_error(session_.get()));
        std::vector<prediction> out;
        for (int32_t i = 0; i < n; i++) {
            const char *label = "?";
            inception_model_label(model_.get(), classes[i], &label);
            out.push_back({classes[i], probs[i], label});
        }
        return out;
    }

  private:
    model_ptr model_;     // declared first: destroyed after the session
    session_ptr session_;
};

} // namespace inc

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s MODEL.safetensors IMAGE...\n", argv[0]);
        return 2;
    }
    try {
        inc::classifier clf(argv[1]);
        for (int i = 2; i < argc; i++) {
            std::printf("%s\n", argv[i]);
            for (const auto &p : clf.classify(argv[i]))
                std::printf("  %6.2f%%  %s (%d)\n", 100.0 * p.probability, p.label.c_str(),
                            static_cast<int>(p.cls));
        }
    } catch (const inc::error &e) {
        std::fprintf(stderr, "error (%s): %s\n", inception_status_string(e.status), e.what());
        return 1;
    }
    return 0;
}

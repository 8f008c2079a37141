// The header-only C++17 wrapper (include/inception/inception.hpp): RAII handles,
// exceptions with status and message, vectors in and out. Plain asserts (no Check in C++).
#include <inception/inception.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "testmodel.h"

static int failures = 0;
#define EXPECT(cond)                                                        \
    do {                                                                    \
        if (!(cond)) {                                                      \
            std::fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                     \
        }                                                                   \
    } while (0)

template <typename F> static inception_status status_of(F f) {
    try {
        f();
    } catch (const inception::Error &e) {
        EXPECT(std::strlen(e.what()) > 0);
        return e.status();
    }
    return INCEPTION_OK;
}

int main() {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    uint8_t *buf = nullptr;
    size_t size = 0;
    if (inc_testmodel_build(&o, &buf, &size) != 0) return 1;
    const char *data = std::getenv("INCEPTION_TEST_DATA");
    std::string dir = std::string(data ? data : "tests") + "/image/data/";

    // errors carry the status and the library's message
    EXPECT(status_of([] { inception::Model m("/nonexistent/model.safetensors"); }) == INCEPTION_ERR_IO);
    try {
        inception::Model m(dir + "skimage_chelsea_cat.png");
        EXPECT(false);
    } catch (const inception::Error &e) {
        EXPECT(e.status() == INCEPTION_ERR_FORMAT);
        EXPECT(std::string(e.what()).find("a PNG?") != std::string::npos);
    }
    EXPECT(status_of([] { inception::Options().set(INCEPTION_OPT_THREADS, int64_t(-1)); }) ==
           INCEPTION_ERR_INVALID_ARGUMENT);

    inception::Options lo;
    lo.set(INCEPTION_OPT_BACKEND, "auto");
    inception::Model model = inception::Model::from_memory(buf, size, &lo);
    std::free(buf);
    EXPECT(model.classes() == 1000);
    EXPECT(model.info(INCEPTION_INFO_PARAMETERS_WITH_AUX) == 27161264);
    EXPECT(!model.info_string(INCEPTION_INFO_ISA).empty());
    EXPECT(model.label(0) == "tench");
    EXPECT(status_of([&] { model.label(5000); }) == INCEPTION_ERR_NOT_FOUND);

    inception::Options so;
    so.set(INCEPTION_OPT_THREADS, int64_t(2)).set(INCEPTION_OPT_EXTRA_OUTPUTS, "Mixed_7c");
    inception::Session session(model, &so);
    auto preds = session.classify_file(dir + "skimage_chelsea_cat.png", 3);
    EXPECT(preds.size() == 3);
    EXPECT(preds[0].probability >= preds[1].probability);
    EXPECT(preds[0].label == model.label(preds[0].class_index));

    // a decoded image and raw pixels give the same answer as the file (PNG: no DCT scaling)
    inception::Image img = inception::Image::decode_file(dir + "skimage_chelsea_cat.png");
    auto same = session.classify(img, 3);
    auto raw = session.classify_pixels(img.pixels(), img.width(), img.height(), INCEPTION_PIXEL_RGB, 3);
    for (size_t i = 0; i < 3; i++) {
        EXPECT(same[i].class_index == preds[i].class_index);
        EXPECT(raw[i].class_index == preds[i].class_index);
        EXPECT(same[i].probability == preds[i].probability);
    }
    EXPECT(status_of([&] { session.classify(img, 0); }) == INCEPTION_ERR_INVALID_ARGUMENT);
    EXPECT(status_of([&] { session.classify_file("/nonexistent.jpg"); }) == INCEPTION_ERR_IO);

    // run a vector, read outputs as vectors and borrowed views
    std::vector<float> input(3 * 299 * 299);
    inc_testmodel_uniform("input/cpp", 0, input.data(), input.size());
    session.run(input, {1, 3, 299, 299});
    std::vector<float> features = session.output(INCEPTION_OUTPUT_FEATURES).to_vector();
    EXPECT(features.size() == 2048);
    inception::View mixed = session.output_named("Mixed_7c");
    EXPECT(mixed.layout == INCEPTION_LAYOUT_NHWC);
    EXPECT((mixed.dims == std::vector<int64_t>{1, 8, 8, 2048}));
    double sum = 0;
    for (int p = 0; p < 64; p++) sum += mixed.data[p * 2048 + 7];
    EXPECT(std::fabs(sum / 64 - features[7]) <= 1e-4 * (1 + std::fabs(features[7])));
    EXPECT(status_of([&] { session.run(input, {1, 3, 299, 300}); }) == INCEPTION_ERR_SHAPE);
    EXPECT(status_of([&] { session.output_named("Mixed_5b"); }) == INCEPTION_ERR_NOT_FOUND);
    EXPECT(status_of([&] { session.output(INCEPTION_OUTPUT_AUX_LOGITS); }) == INCEPTION_ERR_NOT_FOUND);

    // handles move; the session keeps its model alive after the Model object is gone
    inception::Session moved = std::move(session);
    {
        inception::Model gone = std::move(model);
    }
    EXPECT(moved.classify_file(dir + "skimage_chelsea_cat.png", 1).size() == 1);
    EXPECT(moved.memory() > 0);

    if (failures) std::fprintf(stderr, "%d failure(s)\n", failures);
    else std::printf("C++ wrapper: all checks passed\n");
    return failures ? 1 : 0;
}

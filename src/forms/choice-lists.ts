import type { ChoiceOption } from "./form-schema.js";

/**
 * Reusable choice lists. Sources: Luật Trẻ em 2016 Art. 4 and Art. 10.1, Nghị định 56/2017
 * Arts. 11–14 (see README "Domain sources"). Values are ASCII so they fit Telegram callback data.
 */
export const choiceLists: Record<string, ChoiceOption[]> = {
  sex: [
    { value: "nam", label: "Nam" },
    { value: "nu", label: "Nữ" },
  ],
  /** Age groups used by many local forms; exact ages are kept where asked. */
  age_group: [
    { value: "0_5", label: "Dưới 6 tuổi" },
    { value: "6_10", label: "Từ 6 đến dưới 11 tuổi" },
    { value: "11_15", label: "Từ 11 đến dưới 16 tuổi" },
  ],
  /** Hình thức xâm hại — Luật Trẻ em Art. 4.5. */
  abuse_form: [
    { value: "bao_luc", label: "Bạo lực" },
    { value: "xam_hai_tinh_duc", label: "Xâm hại tình dục" },
    { value: "boc_lot", label: "Bóc lột (kể cả lao động trẻ em)" },
    { value: "mua_ban", label: "Mua bán, bắt cóc" },
    { value: "bo_roi_bo_mat", label: "Bỏ rơi, bỏ mặc" },
    { value: "khac", label: "Hình thức gây tổn hại khác" },
  ],
  /** Môi trường xâm hại (draft list; Thông tư 13/2021 annex not available). */
  abuse_setting: [
    { value: "gia_dinh", label: "Gia đình" },
    { value: "truong_hoc", label: "Trường học, cơ sở giáo dục" },
    { value: "cong_dong", label: "Cộng đồng, nơi công cộng" },
    { value: "mang", label: "Môi trường mạng" },
    { value: "khac", label: "Khác" },
  ],
  /** 14 nhóm trẻ em có hoàn cảnh đặc biệt — Luật Trẻ em Art. 10.1 (a … o). */
  special_circumstances: [
    { value: "a_mo_coi", label: "Mồ côi cả cha và mẹ" },
    { value: "b_bo_roi", label: "Bị bỏ rơi" },
    { value: "c_khong_noi_nuong_tua", label: "Không nơi nương tựa" },
    { value: "d_khuyet_tat", label: "Khuyết tật" },
    { value: "dd_hiv", label: "Nhiễm HIV/AIDS" },
    { value: "e_vi_pham_phap_luat", label: "Vi phạm pháp luật" },
    { value: "g_nghien_ma_tuy", label: "Nghiện ma túy" },
    { value: "h_bo_hoc", label: "Phải bỏ học kiếm sống chưa hoàn thành THCS" },
    { value: "i_ton_hai_bao_luc", label: "Bị tổn hại nghiêm trọng về thể chất, tinh thần do bạo lực" },
    { value: "k_boc_lot", label: "Bị bóc lột" },
    { value: "l_xam_hai_tinh_duc", label: "Bị xâm hại tình dục" },
    { value: "m_mua_ban", label: "Bị mua bán" },
    { value: "n_benh_hiem_ngheo", label: "Mắc bệnh hiểm nghèo/điều trị dài ngày thuộc hộ nghèo, cận nghèo" },
    { value: "o_di_cu", label: "Di cư, lánh nạn chưa xác định cha mẹ hoặc không có người chăm sóc" },
  ],
  child_friendly_status: [
    { value: "dat", label: "Đạt chuẩn xã, phường phù hợp với trẻ em" },
    { value: "chua_dat", label: "Chưa đạt" },
    { value: "dang_danh_gia", label: "Đang đánh giá" },
  ],
  support_given: [
    { value: "y_te", label: "Chăm sóc y tế" },
    { value: "tam_ly", label: "Hỗ trợ tâm lý" },
    { value: "phap_ly", label: "Trợ giúp pháp lý" },
    { value: "tro_cap", label: "Trợ cấp, tiền mặt" },
    { value: "cham_soc_thay_the", label: "Chăm sóc thay thế" },
    { value: "giao_duc", label: "Hỗ trợ học tập" },
  ],
};
